package org.liaison.cli;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;

/**
 * The demo's nodes log to a file instead of the console, so that the console tells the story.
 * Every log line (audit entries included, as the node logs them) goes to the file in the console's
 * own layout, which neutralises untrusted text as it does on the console; the console appender is
 * put back on {@link #close()}.
 */
final class DemoLogs implements AutoCloseable {
    private static final String CONSOLE = "stderr";
    private final LoggerContext context;
    private final Appender file;
    private final Appender console;
    private final Level consoleLevel;

    private DemoLogs(LoggerContext context, Appender file, Appender console, Level consoleLevel) {
        this.context = context;
        this.file = file;
        this.console = console;
        this.consoleLevel = consoleLevel;
    }

    static DemoLogs toFile(Path log) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        LoggerConfig rootConfig = config.getRootLogger();
        Appender console = config.getAppender(CONSOLE);
        Layout<?> layout = console != null ? console.getLayout() : null;
        FileAppender.Builder<?> b = FileAppender.newBuilder().setName("demo-file").withFileName(log.toString())
                .withCreateOnDemand(false).withAppend(true).withImmediateFlush(true).setConfiguration(config);
        if (layout != null) {
            b.setLayout(layout);
        }
        FileAppender file = b.build();
        file.start();
        config.addAppender(file);
        Level consoleLevel = rootConfig.getAppenderRefs().stream().filter(r -> r.getRef().equals(CONSOLE)).findFirst()
                .map(r -> r.getLevel()).orElse(null);
        rootConfig.removeAppender(CONSOLE);
        rootConfig.addAppender(file, null, null);
        context.updateLoggers();
        return new DemoLogs(context, file, console, consoleLevel);
    }

    @Override
    public void close() {
        Configuration config = context.getConfiguration();
        LoggerConfig rootConfig = config.getRootLogger();
        rootConfig.removeAppender(file.getName());
        if (console != null) {
            rootConfig.addAppender(console, consoleLevel, null);
        }
        context.updateLoggers();
        file.stop();
    }
}
