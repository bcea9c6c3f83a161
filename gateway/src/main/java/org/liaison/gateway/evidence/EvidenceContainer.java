package org.liaison.gateway.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Pem;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.WitnessPolicy;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/**
 * One portable container per message ({@code liaison evidence export}): an ASiC-E file (see {@link AsicE})
 * holding what this node has of the message — the envelope; the signed manifest where this node can open it
 * (the recipient's); the receipts and stage notices; every evidence held about it (this node's and the
 * peer's kept beside them); for each of this node's evidences its audit entry (read by itself) with the
 * RFC 9162 inclusion proofs (from the log's tiles) against a signed checkpoint, with the RFC 3161 token of
 * that checkpoint when one is held, and against the latest checkpoint cosigned by the directory's witness
 * quorum; the directory edition in force with the operator's CA, the CRLs in force now and at each event's
 * time (see {@link CrlHistory}) and the TSA's chain — sealed by this node (XAdES B-LT, see {@link XadesSeal}).
 * The export reads the one entry and O(log n) hashes per evidence, not the log's history. The files of the
 * package are referenced (their SHA-256 in the signed manifest and the evidence), not included.
 *
 * <p>{@link #verify} checks all of it with nothing but the container (and, optionally, the operator root or
 * the directory the court trusts) and reports a timeline and every failure by item and reason.
 */
public final class EvidenceContainer {
    public static final String DIRECTORY = "directory.xml";
    public static final String OPERATOR_CA = "certificates/operator-ca.pem";
    public static final String CRLS = "certificates/crls.pem";
    public static final String TSA_CHAIN = "certificates/tsa-chain.pem";
    public static final String PROOFS = "log/proofs.json";
    public static final String ENVELOPE = "message/envelope.xml";
    public static final String MANIFEST = "message/manifest.xml";
    public static final String PROOFS_FORMAT = "liaison-evidence-proofs/1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private EvidenceContainer() {}

    /**
     * Where the directory's pins are: the operator's CA and its CRL (paths from node.yaml); and the folder of
     * this node's cosigned checkpoints ({@code dataDir/audit-cosigned}, null: none).
     */
    public record Pins(Path operatorCa, Path operatorCrl) {}

    /**
     * Builds and seals the container of message {@code id} from what {@code node} holds.
     *
     * @throws ProtocolException NOT_FOUND when this node holds no such message
     */
    public static byte[] export(EvidenceNode node, EvidenceIssuer issuer, Pins pins, UUID id) throws ProtocolException, IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Optional<MessageStore.Outgoing> sent = node.store().sent().outgoing(id);
        Optional<MessageStore.Received> received = sent.isPresent() ? Optional.empty() : node.store().inbox().received(id);
        if (sent.isEmpty() && received.isEmpty()) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "no message " + id + " is held here");
        }
        if (sent.isPresent()) {
            files.put(ENVELOPE, sent.get().envelope());
            for (MessageStore.Delivery d : node.store().deliveries().of(id)) {
                if (d.receipt() != null) {
                    files.put("message/receipt-" + d.recipient().value() + ".xml", d.receipt());
                }
            }
            for (MessageStore.Stage s : node.store().notices().stages(id, false)) { // the notices its recipients sent
                if (s.xml() != null) {
                    files.put("message/notice-" + s.party().value() + "-" + s.stage() + ".xml", s.xml());
                }
            }
        } else {
            MessageStore.Received r = received.get();
            files.put(ENVELOPE, r.envelope());
            files.put(MANIFEST, Envelopes.open(Envelopes.readStored(r.envelope(), r.envelopeSha256()), node.me(), node.decryptionKeys())
                    .manifestXml());
            files.put("message/receipt-" + node.me().value() + ".xml", r.receipt());
            for (MessageStore.Stage s : node.store().notices().stages(id, true)) { // the notices this node sent its sender
                if (s.xml() != null) {
                    files.put("message/notice-" + node.me().value() + "-" + s.stage() + ".xml", s.xml());
                }
            }
        }
        List<EvidenceIssuer.Stored> evidences = issuer.of(id);
        for (EvidenceIssuer.Stored e : evidences) {
            files.put("evidence/" + e.name(), e.xml());
        }
        files.put(PROOFS, proofs(node, issuer, evidences));
        files.put(DIRECTORY, node.trust().directory().xml());
        files.put(OPERATOR_CA, Files.readAllBytes(pins.operatorCa()));
        // The CRLs in force now (for the seal and the directory) and at each event's time (for its signer).
        Instant now = node.clock().instant();
        List<X509CRL> current = new ArrayList<>(node.trust().crls());
        if (pins.operatorCrl() != null && Files.exists(pins.operatorCrl())) {
            current.add(Pem.readCrl(pins.operatorCrl()));
        }
        List<Instant> times = new ArrayList<>();
        for (EvidenceIssuer.Stored e : evidences) {
            try {
                times.add(Evidences.claimed(e.xml()).eventTime());
            } catch (ProtocolException unreadable) {
                // carried as it is; verify reports it
            }
        }
        List<X509CRL> seen = new ArrayList<>(current);
        CrlHistory history = issuer.crlHistory();
        if (history != null) {
            history.keep(current);
            seen.addAll(history.all());
        }
        List<X509CRL> chosen = new ArrayList<>(current);
        chosen.addAll(CrlHistory.validAtAny(CrlHistory.distinct(seen), times));
        StringBuilder crls = new StringBuilder();
        for (X509CRL c : CrlHistory.distinct(chosen)) {
            crls.append(Pem.crl(c));
        }
        files.put(CRLS, crls.toString().getBytes(StandardCharsets.US_ASCII));
        TimeStamps.Authority tsa = issuer.trustedTime().map(TrustedTime::authority).orElse(null);
        if (tsa != null) {
            files.put(TSA_CHAIN, Pem.certificates(tsa.chain()).getBytes(StandardCharsets.US_ASCII));
        }
        // B-LT: the seal carries its own validation data (the signer's chain, the TSA's, and the CRLs in force now).
        List<X509Certificate> certificateValues = new ArrayList<>();
        certificateValues.add(node.signing().certificate());
        certificateValues.addAll(node.trust().directory().require(node.me()).nationalCas());
        if (tsa != null) {
            certificateValues.addAll(tsa.chain());
        }
        byte[] seal = XadesSeal.seal(files, node.signing(), now, tsa, certificateValues, CrlHistory.validAt(CrlHistory.distinct(current), now));
        Map<String, byte[]> all = new LinkedHashMap<>(files);
        all.put(AsicE.SIGNATURES, seal);
        return AsicE.write(all);
    }

    /**
     * Each evidence's audit entry (read by itself) and its inclusion proofs (from the log's tiles) against a
     * signed (and, when held, time-stamped) checkpoint, and against the latest checkpoint cosigned by the
     * directory's witness quorum (else the latest cosigned one, as the node holds them) when it
     * covers the entry. Reads nothing of the log's history but the entry and O(log n) hashes.
     */
    private static byte[] proofs(EvidenceNode node, EvidenceIssuer issuer, List<EvidenceIssuer.Stored> evidences)
            throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", PROOFS_FORMAT);
        o.put("issuer", node.me().value());
        AuditLog audit = node.audit();
        o.put("verifierKey", audit.verifierKey());
        ArrayNode items = o.putArray("items");
        Optional<AuditLog.Tree> tree = audit.tree();
        if (tree.isEmpty()) {
            o.put("note", "this node's audit log cannot export inclusion proofs (it keeps no log files)");
        }
        String cosigned = node.cosignedCheckpoint();
        for (EvidenceIssuer.Stored e : evidences) {
            ObjectNode item = items.addObject();
            item.put("evidence", "evidence/" + e.name());
            item.put("index", e.auditIndex());
            long index = e.auditIndex();
            if (index < 0 || tree.isEmpty()) {
                continue; // not logged here (another node's evidence, or not logged), or no proofs to give
            }
            try {
                byte[] entry = tree.get().entry(index);
                String note;
                byte[] token = null;
                Optional<TrustedTime.Stamp> stamp = issuer.trustedTime().isPresent() ? issuer.trustedTime().get().covering(index) : Optional.empty();
                if (stamp.isPresent()) {
                    note = stamp.get().checkpoint();
                    token = stamp.get().token();
                } else {
                    note = audit.checkpointCovering(index);
                }
                if (note == null) {
                    continue;
                }
                long size = Checkpoint.ofNote(note).size();
                item.put("entry", new String(entry, StandardCharsets.UTF_8));
                item.put("checkpoint", note);
                item.put("treeSize", size);
                ArrayNode proof = item.putArray("proof");
                tree.get().inclusionProof(index, size).forEach(h -> proof.add(HEX.formatHex(h)));
                if (token != null) {
                    item.put("timestamp", Base64.getEncoder().encodeToString(token));
                }
                if (cosigned != null) {
                    long csize = Checkpoint.ofNote(cosigned).size();
                    if (csize > index) {
                        ObjectNode w = item.putObject("cosigned");
                        w.put("checkpoint", cosigned);
                        w.put("treeSize", csize);
                        ArrayNode wp = w.putArray("proof");
                        tree.get().inclusionProof(index, csize).forEach(h -> wp.add(HEX.formatHex(h)));
                    }
                }
            } catch (IllegalArgumentException beyond) {
                item.remove(List.of("entry", "checkpoint", "treeSize", "proof", "timestamp", "cosigned"));
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    }

    // ----- verification -----

    /** One event of the timeline, with what proves it and what failed. */
    public record Event(Instant time, String issuer, String event, String etsi, String file, List<String> proven, List<String> problems) {}

    /** The result: the exporter, the timeline, the deadline, and every problem by item and reason (empty: all holds). */
    public record Report(UUID messageId, String exporter, Instant sealed, Instant sealTimestamped, String sealLevel, long directorySequence,
            boolean rootPinned, List<Event> timeline, String deadline, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /**
     * Checks a container offline.
     *
     * @param root the federation operator's CA certificate the court trusts (null: the container's own, reported as not pinned)
     * @param directory a signed directory the court trusts instead of the container's (null: the container's)
     */
    public static Report verify(Path file, X509Certificate root, byte[] directory) throws IOException {
        Map<String, byte[]> all = AsicE.read(file);
        List<String> problems = new ArrayList<>();
        byte[] seal = all.remove(AsicE.SIGNATURES);
        Map<String, byte[]> files = all;
        if (seal == null) {
            problems.add(AsicE.SIGNATURES + ": missing (the container is not sealed)");
        }
        for (String name : files.keySet()) {
            if (name.startsWith("META-INF/")) {
                problems.add(name + ": an unexpected signature file");
            }
        }
        // The directory, verified with the pinned root (else the container's operator CA), at the seal's claimed time.
        Instant claimedSealTime = seal == null ? Instant.now() : claimedSigningTime(seal);
        Trust trust = null;
        FederationDirectory dir = null;
        List<X509CRL> allCrls = List.of();
        try {
            allCrls = crls(files.getOrDefault(CRLS, new byte[0]));
        } catch (GeneralSecurityException e) {
            problems.add(CRLS + ": " + e.getMessage());
        }
        try {
            X509Certificate operator = root != null ? root : certificates(required(files, OPERATOR_CA)).get(0);
            List<X509CRL> crls = CrlHistory.validAt(allCrls, claimedSealTime);
            dir = new DirectoryVerifier(operator, crls).verify(directory != null ? directory : required(files, DIRECTORY), claimedSealTime);
            trust = new Trust(dir, crls);
        } catch (ProtocolException | GeneralSecurityException | IOException e) {
            problems.add(DIRECTORY + ": " + e.getMessage());
        }
        // Each certificate is checked at each event's time with the CRLs in force then (carried in the container).
        final FederationDirectory fd = dir;
        final List<X509CRL> everyCrl = allCrls;
        Map<Instant, Trust> trusts = new java.util.HashMap<>();
        java.util.function.Function<Instant, Trust> trustAt = at -> fd == null ? null
                : trusts.computeIfAbsent(at, t -> new Trust(fd, CrlHistory.validAt(everyCrl, t)));
        List<X509Certificate> tsaChain = null;
        try {
            tsaChain = files.containsKey(TSA_CHAIN) ? certificates(files.get(TSA_CHAIN)) : null;
        } catch (GeneralSecurityException e) {
            problems.add(TSA_CHAIN + ": " + e.getMessage());
        }
        String exporter = null;
        Instant sealed = null;
        Instant sealTs = null;
        String sealLevel = null;
        if (seal != null && trust != null) {
            final FederationDirectory d = dir;
            String[] who = new String[1];
            try {
                // B-LT: the seal's signer is checked with the CRLs inside the seal (its RevocationValues).
                XadesSeal.Verified v = XadesSeal.verify(seal, files, (claimed, revocationValues) -> {
                    for (FederationDirectory.Entry a : d.authorities().values()) {
                        if (a.isSigningCertificate(claimed)) {
                            who[0] = a.id().value();
                            return new Trust(d, CrlHistory.validAt(revocationValues, claimedSealTime)).gatewaySigner(a.id(), claimedSealTime)
                                    .resolve(claimed);
                        }
                    }
                    throw new GeneralSecurityException("the seal's certificate is no authority's gateway signing certificate in the directory");
                }, tsaChain);
                exporter = who[0];
                sealed = v.signingTime();
                sealTs = v.timestamped();
                sealLevel = v.level();
            } catch (ProtocolException | GeneralSecurityException | RuntimeException e) {
                problems.add(AsicE.SIGNATURES + ": " + e.getMessage());
            }
        }
        // The proofs: per evidence file, its entry, inclusion proof, checkpoint and token.
        Map<String, JsonNode> proofs = new LinkedHashMap<>();
        String verifierKey = null;
        String logIssuer = null;
        try {
            JsonNode p = JSON.readTree(required(files, PROOFS));
            if (!PROOFS_FORMAT.equals(p.path("format").asText())) {
                throw new IOException("not " + PROOFS_FORMAT);
            }
            verifierKey = p.path("verifierKey").asText(null);
            logIssuer = p.path("issuer").asText(null);
            for (JsonNode item : p.path("items")) {
                proofs.put(item.path("evidence").asText(), item);
            }
        } catch (IOException e) {
            problems.add(PROOFS + ": " + e.getMessage());
        }
        WitnessPolicy policy = null;
        if (trust != null && logIssuer != null) {
            try {
                policy = dir.witnessing().policy(AuthorityId.of(logIssuer));
            } catch (IllegalArgumentException e) {
                problems.add(PROOFS + ": " + e.getMessage());
            }
        }
        if (trust != null && verifierKey != null && logIssuer != null) {
            try {
                if (!dir.require(AuthorityId.of(logIssuer)).acceptsAuditLogKey(verifierKey)) {
                    problems.add(PROOFS + ": the log key is not the one the directory lists for " + logIssuer);
                }
            } catch (ProtocolException | IllegalArgumentException e) {
                problems.add(PROOFS + ": " + e.getMessage());
            }
        }
        List<Event> timeline = new ArrayList<>();
        UUID messageId = null;
        Instant respondBy = null;
        Instant answeredAt = null;
        boolean deadlinePassed = false;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (!f.getKey().startsWith("evidence/")) {
                continue;
            }
            List<String> proven = new ArrayList<>();
            List<String> bad = new ArrayList<>();
            Evidences.Content c;
            try {
                c = Evidences.claimed(f.getValue());
            } catch (ProtocolException e) {
                problems.add(f.getKey() + ": " + e.getMessage());
                continue;
            }
            messageId = messageId == null ? c.messageId() : messageId;
            if (!c.messageId().equals(messageId)) {
                bad.add("about message " + c.messageId() + ", not " + messageId);
            }
            if (trust != null) {
                try {
                    Evidences.Verified v = Evidences.verify(f.getValue(), trustAt.apply(c.eventTime()), c.eventTime());
                    proven.add("signed by " + c.issuer() + "'s gateway key (" + v.signer().getSubjectX500Principal().getName()
                            + "), valid at the event's time");
                } catch (ProtocolException e) {
                    bad.add("signature: " + e.getMessage());
                }
            }
            checkProof(f.getKey(), f.getValue(), c, proofs.get(f.getKey()), verifierKey, logIssuer, tsaChain, policy, proven, bad);
            checkRelated(files, c, trust == null ? null : trustAt.apply(c.eventTime()), proven, bad);
            if (c.event() == EvidenceEvent.SUBMISSION_ACCEPTED && c.respondBy() != null) {
                respondBy = c.respondBy();
            }
            if (c.event() == EvidenceEvent.ANSWERED && (answeredAt == null || c.eventTime().isBefore(answeredAt))) {
                answeredAt = c.eventTime();
            }
            deadlinePassed |= c.event() == EvidenceEvent.DEADLINE_PASSED;
            for (String b : bad) {
                problems.add(f.getKey() + ": " + b);
            }
            timeline.add(new Event(c.eventTime(), c.issuer().value(), c.event().id(), c.event().etsiName(), f.getKey(), proven, bad));
        }
        if (files.containsKey(ENVELOPE) && messageId != null) {
            checkEnvelope(files, messageId, problems);
        }
        if (files.containsKey(MANIFEST) && trust != null) {
            try {
                Instant at = sealed == null ? claimedSealTime : sealed;
                Manifests.verify(files.get(MANIFEST), trustAt.apply(at), at);
            } catch (ProtocolException e) {
                problems.add(MANIFEST + ": the investigator's signature: " + e.getMessage());
            }
        }
        timeline.sort(java.util.Comparator.comparing(Event::time));
        String deadline = respondBy == null ? null
                : answeredAt != null ? (answeredAt.isAfter(respondBy) ? "answered LATE at " + answeredAt + " (respond by " + respondBy + ")"
                        : "answered in time at " + answeredAt + " (respond by " + respondBy + ")")
                : deadlinePassed ? "NOT answered by " + respondBy + " (deadline passed)" : "respond by " + respondBy + ", no answer yet";
        return new Report(messageId, exporter, sealed, sealTs, sealLevel, dir == null ? -1 : dir.sequence(), root != null, timeline,
                deadline, problems);
    }

    private static void checkProof(String name, byte[] xml, Evidences.Content c, JsonNode item, String verifierKey, String logIssuer,
            List<X509Certificate> tsaChain, WitnessPolicy policy, List<String> proven, List<String> bad) {
        if (item == null || !item.has("entry") || !item.has("checkpoint")) {
            if (c.issuer().value().equals(logIssuer)) {
                bad.add("no inclusion proof in " + PROOFS);
            }
            return;
        }
        try {
            byte[] entry = item.path("entry").asText().getBytes(StandardCharsets.UTF_8);
            JsonNode e = JSON.readTree(entry);
            String sha = Evidences.sha256(xml);
            long index = item.path("index").asLong(-1);
            // The entry is the log's JSON object (FileAuditLog.entryBytes): its details are top-level fields.
            if (!"evidence".equals(e.path("type").asText()) || !sha.equals(e.path("evidenceSha256").asText())
                    || !c.evidenceId().toString().equals(e.path("evidenceId").asText()) || e.path("index").asLong(-2) != index) {
                bad.add("its audit entry names another evidence (type, digest, id or index differ)");
                return;
            }
            String note = item.path("checkpoint").asText();
            Checkpoint cp = Checkpoint.parse(SignedNote.open(note, verifierKey));
            List<byte[]> proof = new ArrayList<>();
            for (JsonNode h : item.path("proof")) {
                proof.add(HEX.parseHex(h.asText()));
            }
            if (!Merkle.verifyInclusion(Merkle.leafHash(entry), index, cp.size(), proof, cp.rootHash())) {
                bad.add("the inclusion proof of entry " + index + " fails against the checkpoint of size " + cp.size());
                return;
            }
            proven.add("in " + logIssuer + "'s audit log at entry " + index + " (signed checkpoint of size " + cp.size() + ")");
            checkWitnessed(item.path("cosigned"), entry, index, verifierKey, logIssuer, policy, proven, bad);
            if (item.has("timestamp")) {
                if (tsaChain == null) {
                    bad.add("a time-stamp but no TSA chain in the container");
                    return;
                }
                byte[] token = Base64.getDecoder().decode(item.path("timestamp").asText());
                TimeStamps.Verified t = TimeStamps.verify(token, TrustedTime.sha256(note.getBytes(StandardCharsets.UTF_8)), tsaChain);
                proven.add("existed before " + t.time() + " (RFC 3161 token of " + tsaChain.get(0).getSubjectX500Principal().getName()
                        + " over that checkpoint)");
                if (t.time().isBefore(c.eventTime().minus(CLOCK_SKEW))) {
                    bad.add("the time-stamp (" + t.time() + ") is before the event's time (" + c.eventTime() + ")");
                }
            }
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            bad.add("proof: " + e.getMessage());
        }
    }

    /** The entry under a checkpoint cosigned by the witness quorum the directory demands for the issuer's log. */
    private static void checkWitnessed(JsonNode cosigned, byte[] entry, long index, String verifierKey, String logIssuer,
            WitnessPolicy policy, List<String> proven, List<String> bad) throws GeneralSecurityException {
        if (policy == null) {
            return; // no trusted directory: reported already
        }
        if (policy.quorum() == 0) {
            proven.add("the directory demands no witness quorum for " + logIssuer + "'s log");
            return;
        }
        String demanded = policy.quorum() + " of " + policy.witnesses().stream().map(w -> w.label()).toList();
        if (cosigned.isMissingNode() || !cosigned.has("checkpoint")) {
            bad.add("witness quorum missing: no checkpoint covering entry " + index + " cosigned by the quorum the directory demands for "
                    + logIssuer + "'s log (" + demanded + ") — not witnessed yet when exported; export again once it is");
            return;
        }
        String note = cosigned.path("checkpoint").asText();
        Checkpoint cp = Checkpoint.parse(SignedNote.open(note, verifierKey));
        WitnessPolicy.Result r = policy.check(note);
        if (!r.satisfied()) {
            bad.add("witness quorum missing: the cosigned checkpoint of size " + cp.size() + " has " + r + " (the directory demands "
                    + demanded + ")");
            return;
        }
        List<byte[]> proof = new ArrayList<>();
        for (JsonNode h : cosigned.path("proof")) {
            proof.add(HEX.parseHex(h.asText()));
        }
        if (!Merkle.verifyInclusion(Merkle.leafHash(entry), index, cp.size(), proof, cp.rootHash())) {
            bad.add("the inclusion proof of entry " + index + " fails against the cosigned checkpoint of size " + cp.size());
            return;
        }
        proven.add("witnessed: under a checkpoint of size " + cp.size() + " that " + r);
    }

    private static final java.time.Duration CLOCK_SKEW = java.time.Duration.ofMinutes(5);

    /** A receipt or notice the evidence rests on: present, of that digest, and signed by its issuer. */
    private static void checkRelated(Map<String, byte[]> files, Evidences.Content c, Trust trust, List<String> proven, List<String> bad) {
        for (Evidences.Related r : c.related()) {
            if (r.sha256() == null) {
                continue;
            }
            String found = null;
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                if (f.getKey().startsWith("message/" + r.kind() + "-") && Envelopes.sha256(f.getValue()).equals(r.sha256())) {
                    found = f.getKey();
                    if (trust != null) {
                        try {
                            var doc = SecureXml.parse(f.getValue(), XmlLimits.DEFAULT);
                            AuthorityId signer = AuthorityId.of(text(doc, "Evidence".equals(doc.getDocumentElement().getLocalName()) ? "Issuer" // 1.4
                                    : "receipt".equals(r.kind()) ? "Receiver" : "From"));
                            XmlSignatures.verify(doc, SignatureAlgorithm.allSuites(), trust.gatewaySigner(signer, c.eventTime()));
                            proven.add("the " + r.kind() + " " + f.getKey() + " it names is signed by " + signer);
                        } catch (ProtocolException | RuntimeException e) {
                            bad.add(f.getKey() + ": " + e.getMessage());
                        }
                    }
                }
            }
            if (found == null && files.keySet().stream().anyMatch(n -> n.startsWith("message/" + r.kind() + "-"))) {
                bad.add("the " + r.kind() + " it names (SHA-256 " + r.sha256().substring(0, 16) + "…) is not in the container or was changed");
            }
        }
    }

    private static String text(org.w3c.dom.Document doc, String name) {
        return doc.getElementsByTagNameNS(Formats.NS, name).item(0).getTextContent();
    }

    private static void checkEnvelope(Map<String, byte[]> files, UUID messageId, List<String> problems) {
        String sha = Envelopes.sha256(files.get(ENVELOPE));
        boolean named = false;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (f.getKey().startsWith("evidence/")) {
                try {
                    Evidences.Content c = Evidences.claimed(f.getValue());
                    if (c.envelopeSha256() != null) {
                        named = true;
                        if (!c.envelopeSha256().equals(sha)) {
                            problems.add(ENVELOPE + ": its SHA-256 is not the one " + f.getKey() + " records");
                        }
                    }
                } catch (ProtocolException e) {
                    // reported with the evidence
                }
            }
        }
        if (!named) {
            problems.add(ENVELOPE + ": no evidence records its digest");
        }
    }

    private static byte[] required(Map<String, byte[]> files, String name) throws IOException {
        byte[] b = files.get(name);
        if (b == null) {
            throw new IOException("missing from the container");
        }
        return b;
    }

    private static Instant claimedSigningTime(byte[] seal) {
        String s = new String(seal, StandardCharsets.UTF_8);
        int a = s.indexOf("SigningTime>");
        int b = a < 0 ? -1 : s.indexOf('<', a);
        try {
            return a < 0 || b < 0 ? Instant.now() : Instant.parse(s.substring(a + "SigningTime>".length(), b).strip());
        } catch (RuntimeException e) {
            return Instant.now();
        }
    }

    static List<X509Certificate> certificates(byte[] pem) throws GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
            out.add((X509Certificate) c);
        }
        if (out.isEmpty()) {
            throw new GeneralSecurityException("no certificate");
        }
        return out;
    }

    static List<X509CRL> crls(byte[] pem) throws GeneralSecurityException {
        List<X509CRL> out = new ArrayList<>();
        if (pem.length == 0) {
            return out;
        }
        for (var c : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(pem))) {
            out.add((X509CRL) c);
        }
        return out;
    }
}
