package org.liaison.gateway.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.xml.XmlConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.junit.jupiter.api.Test;
import org.liaison.protocol.UntrustedText;

/**
 * The node's log4j2.xml, as shipped, in both formats: a message and an exception carrying text from outside
 * (a certificate subject, a request path) come out as one line with no control a terminal would act on.
 */
class LogLayoutTest {
    static final String SUBJECT = "CN=x\u001b[2J\u001b[H\r\nAUDIT OK\u009b2J\u202eevil\u2028AUDIT OK\u2066";

    static LogEvent event() {
        return Log4jLogEvent.newBuilder().setLoggerName("org.liaison.gateway.tls.AuthFailures").setLevel(Level.WARN)
                .setMessage(new ParameterizedMessage("local API: refused a client at {}: {}", "127.0.0.1", SUBJECT))
                .setThrown(new IllegalStateException("unknown request GET /" + SUBJECT)).build();
    }

    /** The "stderr" appender's layout of log4j2.xml with liaison.log.format set to {@code format} (null: the default). */
    static String render(String format) throws Exception {
        String before = System.getProperty("liaison.log.format");
        LoggerContext context = new LoggerContext("layout-test");
        try {
            if (format == null) {
                System.clearProperty("liaison.log.format");
            } else {
                System.setProperty("liaison.log.format", format);
            }
            XmlConfiguration config = new XmlConfiguration(context,
                    ConfigurationSource.fromUri(LogLayoutTest.class.getResource("/log4j2.xml").toURI()));
            context.start(config);
            Layout<?> layout = context.getConfiguration().getAppender("stderr").getLayout();
            return new String(layout.toByteArray(event()), StandardCharsets.UTF_8);
        } finally {
            context.stop();
            if (before == null) {
                System.clearProperty("liaison.log.format");
            } else {
                System.setProperty("liaison.log.format", before);
            }
        }
    }

    static String unsafeIn(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().filter(UntrustedText::isUnsafe).forEach(c -> b.append(String.format("U+%04X ", c)));
        return b.toString();
    }

    @Test
    void theTextLayoutShowsControlsBidiAndSeparatorsEscapedOnOneLine() throws Exception {
        String line = render(null);
        assertThat(line).endsWith("\n");
        String body = line.substring(0, line.length() - 1);
        assertThat(unsafeIn(body)).as(body).isEmpty();
        assertThat(body).contains("refused a client at 127.0.0.1: CN=x\\x1b[2J\\x1b[H\\r\\nAUDIT OK\\x9b2J\\u202Eevil\\u2028AUDIT OK\\u2066")
                .contains("java.lang.IllegalStateException: unknown request GET /CN=x\\x1b[2J");
    }

    @Test
    void theJsonLayoutEscapesThemTheJsonWayAndKeepsTheTextExact() throws Exception {
        String line = render("json");
        assertThat(line).endsWith("\n");
        String body = line.substring(0, line.length() - 1);
        assertThat(unsafeIn(body)).as(body).isEmpty();
        JsonNode json = new ObjectMapper().readTree(body);
        assertThat(json.path("message").asText()).isEqualTo("local API: refused a client at 127.0.0.1: " + SUBJECT);
        assertThat(json.path("log.level").asText()).isEqualTo("WARN");
        assertThat(json.path("error.type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(json.path("error.message").asText()).isEqualTo("unknown request GET /" + SUBJECT);
        assertThat(json.path("error.stack_trace").asText()).contains("unknown request GET /" + SUBJECT).contains("LogLayoutTest");
    }

    @Test
    void anEventWithoutAnExceptionHasNoErrorFields() throws Exception {
        String before = System.getProperty("liaison.log.format");
        System.setProperty("liaison.log.format", "json");
        LoggerContext context = new LoggerContext("layout-test");
        try {
            context.start(new XmlConfiguration(context, ConfigurationSource.fromUri(LogLayoutTest.class.getResource("/log4j2.xml").toURI())));
            LogEvent plain = Log4jLogEvent.newBuilder().setLoggerName("x").setLevel(Level.INFO)
                    .setMessage(new ParameterizedMessage("started")).build();
            JsonNode json = new ObjectMapper().readTree(context.getConfiguration().getAppender("stderr").getLayout().toByteArray(plain));
            assertThat(json.path("message").asText()).isEqualTo("started");
            assertThat(json.has("error.message")).isFalse();
            assertThat(json.has("error.stack_trace")).isFalse();
        } finally {
            context.stop();
            if (before == null) {
                System.clearProperty("liaison.log.format");
            } else {
                System.setProperty("liaison.log.format", before);
            }
        }
    }
}
