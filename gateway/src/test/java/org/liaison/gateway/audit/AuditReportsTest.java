package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.cli.Main;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

/** The auditors' query, stats and export commands on a log with a known story. */
class AuditReportsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-10-30T10:00:00Z");

    @TempDir
    Path dir;
    Path log;
    String vkey;

    record Run(int code, String out, String err) {}

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static AuditEvent at(int seconds, String type, String actor, String message, String counterpart, String outcome, String reason,
            Map<String, String> details) {
        return new AuditEvent(T0.plusSeconds(seconds), type, actor, message, counterpart, outcome, reason, details);
    }

    /**
     * Italy asks Albania and the US for legal assistance (case OP-CORRIDOR) in October; Albania
     * receipts after 4 s, the US after 10 s. In November Albania's request arrives and Italy replies
     * 1 h later; a delivery is retried once and a stranger is refused.
     */
    @BeforeEach
    void story() throws Exception {
        log = dir.resolve("audit");
        Map<String, String> mla = Map.of("service", "mla-request", "conversation", "c-1");
        try (FileAuditLog l = FileAuditLog.open(log, "liaison/IT-DNA", Duration.ofHours(1))) {
            l.record(at(0, "start", "IT-DNA", null, null, "ok", null, null));
            l.record(at(1, "submit", "SHA256:ab12", "m-1", "[AL-PP, US-OIA]", "ok", null,
                    Map.of("service", "mla-request", "case", "OP-CORRIDOR")));
            l.record(at(1, "seal", "IT-DNA", "m-1", "[AL-PP, US-OIA]", "ok", null, mla));
            l.record(at(5, "receipt", "AL-PP", "m-1", "AL-PP", "ok", null, mla));
            l.record(at(11, "receipt", "US-OIA", "m-1", "US-OIA", "ok", null, mla));
            l.checkpointNow();
            int nov = (int) Duration.between(T0, Instant.parse("2026-11-02T09:00:00Z")).toSeconds();
            l.record(at(nov, "receive", "AL-PP", "m-2", "AL-PP", "ok", null, Map.of("service", "mla-request", "conversation", "c-2")));
            l.record(at(nov + 60, "fetch", "SHA256:ab12", "m-2", "AL-PP", "ok", null, Map.of("service", "mla-request", "case", "AL-77")));
            l.record(at(nov + 3600, "seal", "IT-DNA", "m-3", "[AL-PP]", "ok", null,
                    Map.of("service", "mla-response", "conversation", "c-2", "inReplyTo", "m-2")));
            l.record(at(nov + 3601, "send-attempt", "IT-DNA", "m-3", "AL-PP", "retrying",
                    "cannot connect to AL-PP at https://127.0.0.1:1: refused [LIAISON:0020]", Map.of("service", "mla-response")));
            l.record(at(nov + 3700, "receipt", "AL-PP", "m-3", "AL-PP", "ok", null, Map.of("service", "mla-response")));
            l.record(at(nov + 3800, "reject", "unknown", null, null, "refused", "LIAISON:0007 the peer is not in the directory", null));
            vkey = l.verifierKey();
        }
    }

    @Test
    void queryFiltersByTypeCaseCounterpartAndTime() throws Exception {
        Run receives = run("audit", "query", log.toString(), "--key", vkey, "--type", "receive,fetch");
        assertThat(receives.code()).as(receives.err()).isZero();
        assertThat(receives.out()).contains("INDEX").contains("m-2").doesNotContain("m-1").contains("2 of the log's entries match");

        Run corridor = run("audit", "query", log.toString(), "--key", vkey, "--case", "OP-CORRIDOR", "--json");
        JsonNode all = JSON.readTree(corridor.out());
        List<String> types = new ArrayList<>();
        all.forEach(e -> types.add(e.path("type").asText()));
        assertThat(types).containsExactly("submit", "seal", "receipt", "receipt");
        assertThat(all.get(0).path("index").asLong()).isEqualTo(1);

        Run us = run("audit", "query", log.toString(), "--key", vkey, "--counterpart", "US-OIA", "--json");
        assertThat(JSON.readTree(us.out())).hasSize(3); // submit and seal to both, the US receipt

        Run november = run("audit", "query", log.toString(), "--key", vkey, "--since", "2026-11-01", "--until", "2026-11-02T09:30:00Z",
                "--json");
        assertThat(JSON.readTree(november.out())).extracting(e -> e.path("type").asText()).containsExactly("receive", "fetch");

        Run badTime = run("audit", "query", log.toString(), "--key", vkey, "--since", "last tuesday");
        assertThat(badTime.code()).isEqualTo(Main.FAILED);
        assertThat(badTime.err()).contains("--since: last tuesday (expected");
    }

    @Test
    void aTamperedLogIsNotQueriedUnlessAskedFor() throws Exception {
        byte[] all = Files.readAllBytes(log.resolve(FileAuditLog.ENTRIES));
        String text = new String(all, StandardCharsets.ISO_8859_1).replace("OP-CORRIDOR", "OP-CORRIDOX");
        Files.write(log.resolve(FileAuditLog.ENTRIES), text.getBytes(StandardCharsets.ISO_8859_1));
        Run refused = run("audit", "query", log.toString(), "--key", vkey);
        assertThat(refused.code()).isEqualTo(Main.FAILED);
        assertThat(refused.err()).contains("the log does not verify").contains("--unverified");
        Run anyway = run("audit", "query", log.toString(), "--key", vkey, "--unverified", "--case", "OP-CORRIDOX");
        assertThat(anyway.code()).isZero();
        assertThat(anyway.out()).contains("4 of the log's entries match");
    }

    @Test
    void statsCountByServiceAndCounterpartAndTimeDeliveriesAndResponses() throws Exception {
        Run r = run("audit", "stats", log.toString(), "--key", vkey, "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode s = JSON.readTree(r.out());
        assertThat(s.path("periodLength").asText()).isEqualTo("month");
        assertThat(s.path("sent").toString()).contains("{\"period\":\"2026-10\",\"service\":\"mla-request\",\"counterpart\":\"AL-PP\",\"count\":1}")
                .contains("{\"period\":\"2026-10\",\"service\":\"mla-request\",\"counterpart\":\"US-OIA\",\"count\":1}")
                .contains("{\"period\":\"2026-11\",\"service\":\"mla-response\",\"counterpart\":\"AL-PP\",\"count\":1}");
        assertThat(s.path("received").toString())
                .contains("{\"period\":\"2026-11\",\"service\":\"mla-request\",\"counterpart\":\"AL-PP\",\"count\":1}");
        JsonNode october = s.path("deliveryTimes").get(0);
        assertThat(october.path("period").asText()).isEqualTo("2026-10");
        assertThat(october.path("count").asLong()).isEqualTo(2);
        assertThat(october.path("medianSeconds").asDouble()).isEqualTo(4.0);
        assertThat(october.path("p90Seconds").asDouble()).isEqualTo(10.0);
        JsonNode responses = s.path("responseTimes").get(0);
        assertThat(responses.path("medianSeconds").asDouble()).isEqualTo(3600.0);
        assertThat(s.path("failures").toString()).contains("\"kind\":\"delivery retrying\",\"code\":\"LIAISON:0020\",\"count\":1")
                .contains("\"kind\":\"refused\",\"code\":\"LIAISON:0007\",\"count\":1");
        // Content-free: no message ids, cases or actors.
        assertThat(r.out()).doesNotContain("m-1").doesNotContain("OP-CORRIDOR").doesNotContain("SHA256:");

        Run text = run("audit", "stats", log.toString(), "--key", vkey, "--period", "year");
        assertThat(text.out()).contains("Delivery times").contains("2026").contains("n=3      median    10.000 s   p90   100.000 s");
    }

    @Test
    void anExportProvesItsEntriesToAnyoneAndAnyChangeIsCaught() throws Exception {
        Path bundle = dir.resolve("corridor.json");
        Run ex = run("audit", "export", log.toString(), "--key", vkey, "--case", "OP-CORRIDOR", "--out", bundle.toString());
        assertThat(ex.code()).as(ex.err()).isZero();
        // Entries 1-4, covered by the checkpoint written at close (size 11).
        assertThat(ex.out()).contains("4 entries with inclusion proofs against the checkpoint of size 11, 2 signed checkpoints");

        // Independently of our checker: signature, leaf hashes and inclusion proofs with the RFC's algorithm.
        JsonNode b = JSON.readTree(bundle.toFile());
        Checkpoint c = Checkpoint.parse(SignedNote.open(b.path("checkpoint").asText(), vkey));
        for (JsonNode e : b.path("entries")) {
            List<byte[]> proof = new ArrayList<>();
            e.path("inclusionProof").forEach(h -> proof.add(HexFormat.of().parseHex(h.asText())));
            byte[] leaf = Merkle.leafHash(e.path("entry").asText().getBytes(StandardCharsets.UTF_8));
            assertThat(Merkle.verifyInclusion(leaf, e.path("index").asLong(), c.size(), proof, c.rootHash())).isTrue();
        }

        Run ok = run("audit", "check-export", bundle.toString(), "--key", vkey);
        assertThat(ok.code()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("VALID: 4 entries proven in the log of size 11, 2 signed checkpoints");

        String json = Files.readString(bundle);
        Path changed = dir.resolve("changed.json");
        Files.writeString(changed, json.replace("OP-CORRIDOR", "OP-ELSEWHERE"));
        Run bad = run("audit", "check-export", changed.toString(), "--key", vkey);
        assertThat(bad.code()).isEqualTo(Main.FAILED);
        assertThat(bad.out()).contains("entry 1: its bytes do not hash to its leafHash");

        Run otherKey = run("audit", "check-export", bundle.toString(), "--key",
                FileAuditLog.open(dir.resolve("other"), "liaison/IT-DNA", Duration.ofHours(1)).verifierKey());
        assertThat(otherKey.code()).isEqualTo(Main.FAILED);
        assertThat(otherKey.out()).contains("checkpoint #0");

        Run exists = run("audit", "export", log.toString(), "--key", vkey, "--out", bundle.toString());
        assertThat(exists.code()).isEqualTo(Main.FAILED);
        assertThat(exists.err()).contains("exists");
    }
}
