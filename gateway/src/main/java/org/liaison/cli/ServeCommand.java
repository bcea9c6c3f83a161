package org.liaison.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.liaison.gateway.node.GatewayNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run a gateway node: the peer API (mutual TLS), delivery to other gateways, and the message store.",
            "Logs its identity, ports and directory on start. Reloads the directory and CRLs when their files change.",
            "Stops gracefully on SIGTERM or Ctrl-C: no new connections, deliveries in flight finish or are resumed at",
            "the next start, nothing accepted is lost."},
        footer = {"", "Example:", "  liaison certs init-federation --out federation --authorities IT-DNA,AL-PP",
            "  liaison serve --config federation/IT-DNA/node.yaml",
            "  liaison serve --config federation/IT-DNA/node.yaml --audit-feed /var/log/liaison/audit.jsonl"})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml).")
    Path config;

    @Option(names = "--audit-feed", paramLabel = "FILE",
            description = "Also append every audit log entry to FILE, one JSON object per line (for a SIEM to collect).")
    void setAuditFeed(Path file) {
        // Read by log4j2.xml when the first logger is created, which happens after parsing.
        System.setProperty("liaison.audit.feed", file.toAbsolutePath().toString());
    }

    @Override
    public Integer call() throws Exception {
        org.liaison.gateway.node.StartupWarmup.begin(config); // libraries loaded on the second core meanwhile
        GatewayNode node = GatewayNode.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } finally {
                org.apache.logging.log4j.LogManager.shutdown();
                stopped.countDown();
            }
        }, "liaison-shutdown"));
        stopped.await();
        return Main.OK;
    }
}
