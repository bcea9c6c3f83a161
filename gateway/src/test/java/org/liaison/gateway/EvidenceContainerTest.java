package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Pem;
import org.liaison.certs.Role;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.evidence.AsicE;
import org.liaison.gateway.evidence.OpensslTsa;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.evidence.EvidenceEvent;

/**
 * The evidence container of a request, end to end: exported through the local API by its sender's
 * investigator (and the recipient's auditor), checked offline by {@code liaison evidence verify} with the
 * operator's root; checked item by item by independent tools (java.util.zip and unzip for the ASiC-E shape,
 * openssl ts -verify for the time-stamps, headless Chromium for the HTML report); and an altered file,
 * evidence, proof, time-stamp or certificate each caught with the item named.
 */
class EvidenceContainerTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** As {@link TestNodes#FAST}, with reads that wait longer: three nodes and the CLI share two loaded cores here. */
    private static final GatewayNode.Tuning PATIENT = GatewayNode.Tuning.builder().readTimeout(Duration.ofSeconds(30))
            .clientTimeout(Duration.ofSeconds(30)).backoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1)))
            .poll(Duration.ofMillis(100)).maxMessageBytes(1L << 30).maxEnvelopeBytes(4 << 20).reloadEvery(Duration.ofMillis(300)).build();

    private static BackupRestoreTest.Run ok(String... args) {
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args);
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        return r;
    }

    @Test
    void theContainerOfAnAnsweredRequestVerifiesOfflineAndEveryAlterationIsCaught() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path alAuditor = t.federation.profiles().get(AL).get(Role.AUDITOR);
        Path root = t.federation.dir().resolve("operator/ca/ca.pem");
        if (!Files.exists(root)) {
            try (var s = Files.walk(t.federation.dir().resolve("operator"))) {
                root = s.filter(p -> p.getFileName().toString().endsWith(".pem") && p.toString().contains("ca")).findFirst().orElseThrow();
            }
        }
        Path file = Files.writeString(dir.resolve("request.txt"), "x".repeat(1024));
        try (OpensslTsa tsa = OpensslTsa.start(dir.resolve("tsa"))) {
            Files.writeString(t.config(IT), "timestamping:\n  url: " + tsa.url() + "\n  certificates: " + tsa.chainPem + "\n  every: 1\n",
                    StandardOpenOption.APPEND);
            try (GatewayNode itNode = GatewayNode.start(t.config(IT), PATIENT); GatewayNode alNode = GatewayNode.start(t.config(AL), PATIENT);
                    GatewayNode usNode = GatewayNode.start(t.config(US), PATIENT)) {
                String id = ok("--profile", it.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-COURT",
                        "--legal-basis", "UNTOC art. 18", "--respond-by", "e-evidence", "--new", file.toString()).out().strip();
                TestNodes.await("delivered", Duration.ofSeconds(30), () -> alNode.store().inbox().received(UUID.fromString(id)).isPresent());
                ok("--profile", al.toString(), "fetch", id, "--out", dir.resolve("got").toString());
                ok("--profile", al.toString(), "acknowledge", id);
                ok("--profile", al.toString(), "submit", "--to", "IT-DNA", "--service", "mla-response", "--case", "OP-COURT",
                        "--legal-basis", "UNTOC art. 18", "--in-reply-to", id, file.toString());
                TestNodes.await("answered and stamped at Italy", Duration.ofSeconds(30), () -> {
                    try {
                        var ev = itNode.evidence().of(UUID.fromString(id));
                        // every evidence logged (its index noted) and the last one's entry under a stamped checkpoint
                        long last = ev.isEmpty() ? -1 : ev.get(ev.size() - 1).auditIndex();
                        // Italy's three, and (schema 1.4) Albania's delivered, opened and acknowledged evidence it received
                        return ev.size() == 6 && ev.stream().allMatch(x -> x.auditIndex() >= 0)
                                && itNode.evidence().trustedTime().orElseThrow().covering(last).isPresent()
                                && itNode.store().notices().stages(UUID.fromString(id), false).size() >= 2; // acknowledged, answered
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });

                witnessed(itNode, id); // the checkpoint covering the evidence cosigned by the directory's quorum (AL and US)

                Path container = dir.resolve("request.asice");
                ok("--profile", it.toString(), "evidence", "export", id, "--out", container.toString());
                BackupRestoreTest.Run verified = ok("evidence", "verify", container.toString(), "--root", root.toString(), "--json",
                        "--html", dir.resolve("report.html").toString());
                JsonNode report = JSON.readTree(verified.out());
                assertThat(report.path("valid").asBoolean()).as(verified.out()).isTrue();
                assertThat(report.path("exporter").asText()).isEqualTo("IT-DNA");
                assertThat(report.path("rootPinned").asBoolean()).isTrue();
                assertThat(report.path("deadline").asText()).startsWith("answered in time");
                assertThat(report.path("timeline").findValuesAsText("event")).containsExactly(EvidenceEvent.SUBMISSION_ACCEPTED.id(),
                        EvidenceEvent.DELIVERED.id(), EvidenceEvent.RELAYED.id(), EvidenceEvent.OPENED.id(), EvidenceEvent.ACKNOWLEDGED.id(),
                        EvidenceEvent.ANSWERED.id());
                assertThat(report.path("timeline").get(0).path("proven").toString()).contains("audit log at entry").contains("existed before")
                        .contains("witnessed: under a checkpoint").contains("quorum 2: met");
                assertThat(report.path("sealLevel").asText()).isEqualTo("B-LT");
                assertThat(ok("evidence", "verify", container.toString()).out()).contains("VALID").contains("pass --root")
                        .contains("submission-accepted");

                // ASiC-E shape, by java.util.zip and by unzip
                try (ZipInputStream z = new ZipInputStream(Files.newInputStream(container))) {
                    ZipEntry first = z.getNextEntry();
                    assertThat(first.getName()).isEqualTo("mimetype");
                    assertThat(first.getMethod()).isEqualTo(ZipEntry.STORED);
                    assertThat(new String(z.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(AsicE.MIME_TYPE);
                }
                String listing = run("unzip", "-v", container.toString());
                String firstLine = listing.lines().filter(l -> l.contains("mimetype") || l.contains(".xml") || l.contains(".json"))
                        .findFirst().orElseThrow();
                assertThat(firstLine).contains("mimetype").contains("Stored");
                assertThat(listing).contains("META-INF/signatures001.xml");

                // the time-stamps, by openssl ts -verify
                Map<String, byte[]> entries = read(container);
                JsonNode proofs = JSON.readTree(entries.get("log/proofs.json"));
                int stamped = 0;
                for (JsonNode item : proofs.path("items")) {
                    if (item.has("timestamp")) {
                        Path note = Files.writeString(dir.resolve("cp" + stamped), item.path("checkpoint").asText());
                        Path tsr = Files.write(dir.resolve("cp" + stamped + ".tsr"), Base64.getDecoder().decode(item.path("timestamp").asText()));
                        assertThat(tsa.opensslVerify(note, tsr)).isZero();
                        stamped++;
                    }
                }
                assertThat(stamped).isEqualTo(6);

                // the HTML report, in headless Chromium
                String dom = chromium(dir.resolve("report.html"));
                assumeTrue(dom != null, "chromium is not installed: the HTML report was not rendered (CI installs it)");
                assertThat(dom).contains("VALID: every signature").contains("submission-accepted").contains("answered in time");

                // the recipient's side: its auditor's container verifies too (with the investigator's signed manifest)
                witnessed(alNode, id);
                Path received = dir.resolve("received.asice");
                ok("--profile", alAuditor.toString(), "evidence", "export", id, "--out", received.toString());
                JsonNode alReport = JSON.readTree(ok("evidence", "verify", received.toString(), "--root", root.toString(), "--json").out());
                assertThat(alReport.path("timeline").findValuesAsText("event")).contains(EvidenceEvent.DELIVERED.id(),
                        EvidenceEvent.OPENED.id(), EvidenceEvent.ACKNOWLEDGED.id(), EvidenceEvent.ANSWERED.id());
                assertThat(read(received)).containsKey("message/manifest.xml");

                // each alteration is caught, naming the item
                String evidence = entries.keySet().stream().filter(n -> n.startsWith("evidence/")).findFirst().orElseThrow();
                refused(container, "altered-file", m -> put(m, "message/envelope.xml", s -> s.replace("</", " </")), "message/envelope.xml");
                refused(container, "altered-evidence", m -> put(m, evidence, s -> s.replace("mla-request", "mla-response")), evidence);
                refused(container, "altered-proof", m -> put(m, "log/proofs.json", s -> flipProofHash(s)), "inclusion proof");
                refused(container, "altered-timestamp", m -> put(m, "log/proofs.json", s -> flipTimestamp(s)), "token");
                // a witness's cosignature taken off the cosigned checkpoint: the quorum is reported missing
                refused(container, "no-quorum", m -> put(m, "log/proofs.json", s -> dropCosignature(s)), "witness quorum missing");
                // the CRLs taken out of the seal's RevocationValues: not B-LT
                refused(container, "seal-without-crls", m -> put(m, "META-INF/signatures001.xml",
                        s -> s.replaceAll("(?s)<xades:EncapsulatedCRLValue>.*?</xades:EncapsulatedCRLValue>", "")), "RevocationValues");
                try (OpensslTsa other = OpensslTsa.start(dir.resolve("other-tsa"))) {
                    // another TSA's chain in place of the real one: the tokens no longer verify
                    refused(container, "altered-certificate", m -> {
                        m.put("certificates/tsa-chain.pem", bytes(other.chainPem));
                        return m;
                    }, "token");
                    // the container checked against a root that is not the federation operator's: its directory is refused
                    BackupRestoreTest.Run r = BackupRestoreTest.cli("evidence", "verify", container.toString(), "--root",
                            other.rootPem.toString(), "--json");
                    assertThat(r.code()).isNotZero();
                    assertThat(JSON.readTree(r.out()).path("problems").toString()).contains("directory.xml");
                }

                // Italy's CA issues a new CRL after the events: the container still checks each event with the CRL of
                // its time (kept by the node), so it verifies (before, it held only today's CRL, not valid at the events).
                java.time.Instant reissued = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
                X509CRL newCrl = t.federation.pki().authority(IT).ca().writeCrl(reissued, Duration.ofDays(7));
                TestNodes.await("Italy's node loads the new CRL", Duration.ofSeconds(10), () -> itNode.trust().crls().contains(newCrl));
                // and the peer's signed evidence, which Italy received on the wire (schema 1.4) and keeps beside its own
                // under the same name as Albania's copy: collected and checked
                Path alEvidence = t.auditDir(AL).resolveSibling("evidence").resolve(id);
                Path itEvidence = t.auditDir(IT).resolveSibling("evidence").resolve(id);
                String peerFile;
                try (var files = Files.list(alEvidence)) {
                    List<Path> xml = files.filter(f -> f.toString().endsWith(".xml"))
                            .filter(f -> Files.exists(itEvidence.resolve(f.getFileName()))).sorted().toList();
                    assertThat(xml).as("Albania's evidence held by Italy").isNotEmpty();
                    peerFile = "evidence/" + xml.get(0).getFileName();
                }
                Path later = dir.resolve("later.asice");
                ok("--profile", it.toString(), "evidence", "export", id, "--out", later.toString());
                BackupRestoreTest.Run laterRun = BackupRestoreTest.cli("evidence", "verify", later.toString(), "--root", root.toString(), "--json");
                JsonNode laterReport = JSON.readTree(laterRun.out());
                assertThat(laterReport.path("valid").asBoolean()).as(laterRun.out()).isTrue();
                assertThat(laterReport.path("timeline").findValuesAsText("event")).contains(EvidenceEvent.DELIVERED.id(),
                        EvidenceEvent.ACKNOWLEDGED.id(), EvidenceEvent.SUBMISSION_ACCEPTED.id());
                assertThat(laterReport.path("timeline").findValuesAsText("issuer")).contains("AL-PP", "IT-DNA");
                // the CRL in force at the events taken out (only the new one left): the evidences' certificates are unproven
                refused(later, "crl-of-the-events-removed", m -> {
                    m.put("certificates/crls.pem", withoutCrlsBefore(m.get("certificates/crls.pem"), newCrl));
                    return m;
                }, "revocation status");
                // the peer's evidence altered: caught by its issuer's signature
                refused(later, "altered-peer-evidence", m -> put(m, peerFile, s -> s.replace("AL-PP", "US-OIA")), peerFile);
            }
        }
    }

    /** A copy of {@code container} changed by {@code change} (and not re-sealed) is refused, with {@code item} in the problems. */
    private void refused(Path container, String name, UnaryOperator<Map<String, byte[]>> change, String item) throws Exception {
        Path copy = dir.resolve(name + ".asice");
        Map<String, byte[]> m = read(container);
        Files.write(copy, AsicE.write(change.apply(m)));
        BackupRestoreTest.Run r = BackupRestoreTest.cli("evidence", "verify", copy.toString(), "--json");
        assertThat(r.code()).as(name + ": " + r.out()).isNotZero();
        assertThat(JSON.readTree(r.out()).path("problems").toString().toLowerCase()).as(name).contains(item.toLowerCase());
    }

    private static Map<String, byte[]> put(Map<String, byte[]> m, String name, UnaryOperator<String> change) {
        String before = new String(m.get(name), StandardCharsets.UTF_8);
        String after = change.apply(before);
        assertThat(after).as("the change of " + name).isNotEqualTo(before);
        m.put(name, after.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    private static String flipProofHash(String proofs) {
        try {
            ObjectNode p = (ObjectNode) JSON.readTree(proofs);
            ObjectNode item = (ObjectNode) p.path("items").get(0);
            var proof = (com.fasterxml.jackson.databind.node.ArrayNode) item.path("proof");
            String h = proof.get(0).asText();
            proof.set(0, JSON.getNodeFactory().textNode((h.charAt(0) == '0' ? "1" : "0") + h.substring(1)));
            return JSON.writeValueAsString(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Each item's cosigned checkpoint with its last cosignature line taken off. */
    private static String dropCosignature(String proofs) {
        try {
            ObjectNode p = (ObjectNode) JSON.readTree(proofs);
            for (JsonNode item : p.path("items")) {
                if (item.has("cosigned")) {
                    ObjectNode c = (ObjectNode) item.path("cosigned");
                    String note = c.path("checkpoint").asText();
                    String cut = note.substring(0, note.stripTrailing().lastIndexOf('\n') + 1);
                    c.put("checkpoint", cut);
                }
            }
            return JSON.writeValueAsString(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The PEM CRLs but those of {@code latest}'s issuer older than it. */
    private static byte[] withoutCrlsBefore(byte[] pem, X509CRL latest) {
        try {
            StringBuilder out = new StringBuilder();
            int dropped = 0;
            for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(pem))) {
                X509CRL crl = (X509CRL) c;
                if (crl.getIssuerX500Principal().equals(latest.getIssuerX500Principal()) && crl.getThisUpdate().before(latest.getThisUpdate())) {
                    dropped++;
                    continue;
                }
                out.append(Pem.crl(crl));
            }
            assertThat(dropped).as("the container held the CRL in force at the events").isPositive();
            return out.toString().getBytes(StandardCharsets.US_ASCII);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The evidence of message {@code id} at node {@code n} is under a checkpoint its witnesses' quorum cosigned. */
    private static void witnessed(GatewayNode n, String id) throws Exception {
        long last = n.evidence().of(UUID.fromString(id)).stream().mapToLong(x -> x.auditIndex()).max().orElseThrow();
        n.audit().checkpointCovering(last);
        TestNodes.await("the witnesses' quorum", Duration.ofSeconds(20),
                () -> n.submitter().round().map(r -> r.satisfied()).orElse(false));
    }

    private static String flipTimestamp(String proofs) {
        try {
            ObjectNode p = (ObjectNode) JSON.readTree(proofs);
            ObjectNode item = (ObjectNode) p.path("items").get(0);
            byte[] token = Base64.getDecoder().decode(item.path("timestamp").asText());
            token[token.length - 8] ^= 1;
            item.put("timestamp", Base64.getEncoder().encodeToString(token));
            return JSON.writeValueAsString(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, byte[]> read(Path container) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(Files.readAllBytes(container)))) {
            for (ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
                if (!e.getName().equals("mimetype")) {
                    out.put(e.getName(), z.readAllBytes());
                }
            }
        }
        return out;
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** The DOM headless Chromium renders, or null when chromium is not installed. */
    private String chromium(Path html) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--user-data-dir=" + dir.resolve("chromium-profile"), "--dump-dom", html.toUri().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (java.io.IOException e) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish");
        }
        return out;
    }
}
