package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocket;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Stages;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.protocol.UntrustedText;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.Notices;

/**
 * Text that parties outside control — a refused certificate's subject, a peer's note — reaches the audit log
 * exactly, and reaches the auditor's terminal, the investigator's terminal and the operator's log inert:
 * no escape sequence, no C1 control, no bidirectional override, no line separator (issue 25, item 3).
 */
class OutsideTextTest {
    @TempDir
    Path dir;

    /** Clears the screen, homes the cursor and forges a line; CSI in one character; reverses what follows. */
    static final String FORGED = "x\u001b[2J\u001b[H\u009b2J\u202eAUDIT OK\u2028AUDIT OK";

    /** The characters of {@code s} a terminal or a log reader would act on, other than the line feeds that end lines. */
    static String unsafeIn(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().filter(c -> c != '\n' && UntrustedText.isUnsafe(c)).forEach(c -> b.append(String.format("U+%04X ", c)));
        return b.toString();
    }

    record Run(int code, String out, String err) {}

    static Run liaison(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Main.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** What the node's standard-error log (log4j2.xml's "stderr" appender, its layout as configured) writes, captured. */
    static final class LogLines extends AbstractAppender implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();
        private final LoggerContext context;

        LogLines() {
            this((LoggerContext) LogManager.getContext(false));
        }

        private LogLines(LoggerContext context) {
            super("capture", null, layout(context.getConfiguration()), true, Property.EMPTY_ARRAY);
            this.context = context;
            start();
            context.getConfiguration().getRootLogger().addAppender(this, Level.INFO, null);
            context.updateLoggers();
        }

        private static Layout<?> layout(Configuration c) {
            return c.getAppender("stderr").getLayout();
        }

        @Override
        public void append(LogEvent event) {
            lines.add(new String(getLayout().toByteArray(event), StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            context.getConfiguration().getRootLogger().removeAppender(getName());
            context.updateLoggers();
            stop();
        }
    }

    @Test
    void aRefusedCertificatesSubjectIsAuditedExactlyAndShownInertByAuditQueryAndTheLog() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        // A stranger's certificate for the local API; its subject and its CA's are the stranger's to choose.
        TestPki stranger = TestPki.create(Suite.MODERN, "Stranger " + FORGED);
        Credential client = HostileMemberTest.jdkKey(stranger.issue(CertificateProfile.INVESTIGATOR, FORGED));
        Path audit = t.auditDir(AL);
        try (LogLines log = new LogLines()) {
            try (GatewayNode al = t.startLogged(AL)) {
                Throwable refused = catchThrowable(() -> {
                    try (SSLSocket s = RawPeer.connect(al.localPort(), client, "TLSv1.3")) {
                        RawPeer.request(s, "GET", LocalApi.INBOX, "", new byte[0]);
                    }
                });
                assertThat(refused).isNotNull();
                TestNodes.await("the refusal logged", Duration.ofSeconds(10),
                        () -> log.lines.stream().anyMatch(l -> l.contains("refused a client")));
            }
            // The operator's log: the subject is there, escaped, and no line holds a raw control.
            String warn = log.lines.stream().filter(l -> l.contains("refused a client")).findFirst().orElseThrow();
            assertThat(warn).contains("x\\x1b[2J\\x1b[H\\x9b2J\\u202EAUDIT OK\\u2028AUDIT OK");
            assertThat(log.lines).allSatisfy(l -> {
                assertThat(unsafeIn(l)).as(l).isEmpty();
                assertThat(l.indexOf('\n')).as(l).isEqualTo(l.length() - 1);
            });
        }
        // The audit log keeps the exact text it hashed.
        String entry = AuditLogVerifier.entries(audit).stream().map(b -> new String(b, StandardCharsets.UTF_8))
                .filter(e -> e.contains("auth-failure")).findFirst().orElseThrow();
        assertThat(new ObjectMapper().readTree(entry).toString()).contains("\\u001B[2J");
        assertThat(entry).contains("\u202eAUDIT OK\u2028AUDIT OK");

        // The auditor's terminal: the entry is listed, the subject visible and inert, on one line.
        Run query = liaison("audit", "query", audit.toString(), "--type", "auth-failure");
        assertThat(query.code()).as(query.out() + query.err()).isZero();
        assertThat(query.out()).contains("auth-failure").contains("x\\x1b[2J\\x1b[H\\x9b2J\\u202EAUDIT OK");
        assertThat(unsafeIn(query.out())).as(query.out()).isEmpty();
        assertThat(query.out().lines().filter(l -> l.startsWith("AUDIT OK"))).isEmpty();
        // --json stays exact: a program reads back the very subject, and the JSON text holds no raw control either.
        Run json = liaison("audit", "query", audit.toString(), "--type", "auth-failure", "--json");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(new ObjectMapper().readTree(json.out()).get(0).path("reason").asText()).contains(FORGED);
        assertThat(unsafeIn(json.out())).isEmpty();
    }

    @Test
    void aPeersNoteIsShownInertByStatus() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = t.start(AL)) {
            String[] command = {"--profile", it.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case",
                "OP-NOTE", "--legal-basis", "UNTOC art. 18", file.toString()};
            Run submit = liaison(command);
            for (int i = 0; i < 2 && submit.code() != 0 && submit.err().contains("re-run the same command"); i++) {
                submit = liaison(command); // as the command says: safe, the same package is not sent twice
            }
            assertThat(submit.code()).as(submit.err()).isZero();
            String id = submit.out().strip();
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);
            var env = alNode.store().inbox().received(UUID.fromString(id)).orElseThrow();
            UUID conversation = Envelopes.readStored(env.envelope(), env.envelopeSha256()).header()
                    .conversationId();
            // Albania's node acknowledges with a note of its own making: XML carries C1, bidi and separators (not ESC).
            String note = "we will \u009b2J\u202eanswer\u2028AUDIT OK\u2029done";
            byte[] notice = Notices.create(new Notices.Content(UUID.randomUUID(), UUID.fromString(id), conversation, IT, AL,
                    "acknowledged", Instant.now(), null, note), alNode.signing());
            URI italy = URI.create(itNode.trust().directory().require(IT).endpoints().get(0));
            alNode.peerClient().post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, notice);

            Run status = liaison("--profile", it.toString(), "status", id);
            assertThat(status.code()).as(status.err()).isZero();
            assertThat(status.out()).contains("acknowledged").contains("we will \\x9b2J\\u202Eanswer\\u2028AUDIT OK\\u2029done");
            assertThat(unsafeIn(status.out())).as(status.out()).isEmpty();
            // --json: the note exactly as Albania wrote it.
            Run json = liaison("--profile", it.toString(), "status", id, "--json");
            JsonNode stage = new ObjectMapper().readTree(json.out()).path("deliveries").get(0).path("stages").get(0);
            assertThat(stage.path("note").asText()).isEqualTo(note);
            assertThat(unsafeIn(json.out())).isEmpty();
        }
    }
}
