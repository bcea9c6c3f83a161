package org.liaison.gateway.node;

import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.liaison.certs.Providers;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.protocol.dsig.Santuario;
import org.liaison.protocol.xml.Formats;

/**
 * Loads, on a second thread while {@code liaison serve} opens its node on the first, the libraries every start
 * initialises once and that depend on nothing the node has read: Bouncy Castle's provider, the XML schema and
 * JAXB context ({@code Formats}), Santuario, Netty's JDK TLS context, the SQLite driver's native library and netty-tcnative (each only
 * when node.yaml asks for that store or TLS provider). These are class initialisations the start runs anyway,
 * in the same process and in the same way; started early they overlap the logging set-up, the configuration, the
 * audit log and the keys instead of running after them on one core. Nothing here checks or decides anything: a
 * failure is ignored, and the start, reaching the same code, meets it and refuses as it does without this.
 */
public final class StartupWarmup {
    private StartupWarmup() {}

    /** Starts the warm-up (a daemon thread, which ends by itself) for the node {@code configFile} describes. */
    public static void begin(Path configFile) {
        Thread t = new Thread(() -> run(configFile), "liaison-warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void run(Path configFile) {
        step(Providers::bouncyCastle);
        step(Formats::schema);
        step(Santuario::init);
        NodeConfig config;
        try {
            config = NodeConfig.load(configFile);
        } catch (Exception | LinkageError e) {
            return; // the start reports it
        }
        if (config.store() == null || !config.store().isPostgresql()) {
            step(() -> {
                try {
                    org.sqlite.SQLiteJDBCLoader.initialize();
                } catch (Exception e) {
                    // the store's open reports it
                }
            });
        }
        step(() -> {
            try { // the local API's TLS is the JDK's whatever the peer API's: Netty's JDK context and the JDK's SSLContext
                Class.forName("io.netty.handler.ssl.JdkSslContext", true, StartupWarmup.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                // the start reports it
            }
        });
        if (!"jdk".equals(config.tlsProvider())) {
            step(io.netty.handler.ssl.OpenSsl::isAvailable);
        }
    }

    private static void step(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // the start reaches the same code and reports what fails there
        } catch (LinkageError e) {
            // A class whose initialisation failed here fails later only as "Could not initialize class X": the cause
            // would be lost to the operator, so it is logged now (a library's own error, no outside text).
            LogManager.getLogger(StartupWarmup.class).warn("a library failed to initialise: {}", e.toString(), e);
        }
    }
}
