package org.liaison.cli.local;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.UserProfile;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.EvidenceFolder;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.gateway.store.SequentialReader;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.model.Urgency;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Send files to another authority, or to a joint investigation team, through your gateway.",
            "The package manifest (case, service, legal basis, handling marks, each file's SHA-256 and chain of custody)",
            "is signed here with your personal certificate; your gateway checks it, encrypts the files as they arrive,",
            "and delivers them. Prints the message id; `liaison status ID` follows its delivery.", "",
            "Re-running the same command is always safe: it returns the message the gateway already made, and an upload",
            "that broke partway (a lost connection, Ctrl-C) resumes where the gateway's copy ends (kept for an hour",
            "while the gateway runs). --new sends the same package again as a new message."},
        footer = {"", "Examples:",
            "  liaison --profile federation/IT-DNA/users/investigator submit --to AL-PP --service mla-request \\",
            "      --case OP-CORRIDOR-2026 --legal-basis \"UNTOC art. 18\" --handling minor-involved evidence/*.pdf",
            "  liaison --profile P submit --jit JIT-IT-AL-US-2026 --service jit-file-share --case OP-CORRIDOR-2026 \\",
            "      --legal-basis \"UNTOC art. 19\" ledger.xlsx",
            "  liaison --profile P submit --in-reply-to 3f2a… --to IT-DNA --service mla-response --case OP-CORRIDOR-2026 \\",
            "      --legal-basis \"UNTOC art. 18\" answer.pdf",
            "",
            "Services: mla-request, mla-response, jit-file-share, extradition-request, asset-tracing-request,",
            "asset-freezing-request, confiscation-request, law-enforcement-exchange, travel-document-alert,",
            "consular-notification, witness-protection-coordination.",
            "Handling flags: minor-involved, victim-data, witness-protected, no-onward-transfer."})
public final class SubmitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "The evidence files.")
    List<Path> files;

    @Option(names = "--to", split = ",", paramLabel = "ID", description = "Recipient authorities, e.g. AL-PP or AL-PP,US-OIA.")
    List<String> to = new ArrayList<>();

    @Option(names = "--jit", paramLabel = "JIT-ID", description = "A joint investigation team instead of --to: every other member receives it.")
    String jit;

    @Option(names = "--service", required = true, paramLabel = "SERVICE", description = "What this is (see the list below).")
    String service;

    @Option(names = "--case", required = true, paramLabel = "REF", description = "Your case reference, e.g. OP-CORRIDOR-2026.")
    String caseRef;

    @Option(names = "--legal-basis", required = true, paramLabel = "TEXT",
            description = "Instrument and article, e.g. \"UNTOC art. 18\", \"SOM-PROTOCOL art. 10\", \"BILATERAL-TREATY art. 4 IT-AL 2002\".")
    String legalBasis;

    @Option(names = "--classification", defaultValue = "confidential", paramLabel = "LEVEL",
            description = "restricted, confidential (default) or secret.")
    String classification;

    @Option(names = "--handling", split = ",", paramLabel = "FLAG", description = "Handling flags (see below), comma-separated.")
    List<String> handling = new ArrayList<>();

    @Option(names = "--note", paramLabel = "TEXT", description = "A note for the recipient (inside the encrypted manifest).")
    String note;

    @Option(names = "--respond-by", paramLabel = "DATE|DURATION",
            description = {"When you need the answer: a date (2026-12-31: the end of that day, UTC), a time (2026-12-31T12:00:00Z)",
                "or a duration from now (P14D, PT48H), or a preset: e-evidence (10 days) or e-evidence-emergency (8 hours), the",
                "periods of the EU e-Evidence Regulation 2023/1543 art. 10. It travels in the signed manifest; the recipient's",
                "inbox sorts and flags by it (inbox --overdue); the evidence container shows whether the answer came in time."})
    String respondBy;

    @Option(names = "--urgency", paramLabel = "urgent|normal",
            description = "How urgent the request is (default: urgent for consular-notification, else not stated).")
    String urgency;

    @Option(names = "--collected-by", paramLabel = "WHO", description = "Chain of custody: who collected the files (default: you).")
    String collectedBy;

    @Option(names = "--collection-method", defaultValue = "as submitted by the investigator", paramLabel = "HOW",
            description = "Chain of custody: how the files were obtained (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--in-reply-to", paramLabel = "ID", description = "The received message this answers (keeps the conversation).")
    String inReplyTo;

    @Option(names = "--idempotency-key", paramLabel = "KEY",
            description = {"Re-running with the same key never creates a second message. Default: a key kept per package in",
                "the profile folder, so re-running the same command (after a lost answer, a crash) is always safe."})
    String idempotencyKey;

    @Option(names = "--new", description = {"Send a package again as a new message, although this profile submitted the same",
        "package before (without it, a re-run returns the earlier message)."})
    boolean again;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    private static final Pattern LEGAL = Pattern.compile("([A-Za-z-]+)(?:\\s+art(?:icle|\\.)?\\s*([0-9]+[a-z]?(?:\\([0-9a-z]+\\))?))?\\s*(.*)");

    @Override
    public Integer call() throws Exception {
        Path profileDir = root.profile();
        UserProfile profile = UserProfile.load(profileDir);
        if ((jit == null) == to.isEmpty()) {
            throw new UserException("say who receives it: give --to AUTHORITY[,AUTHORITY] or --jit JIT-ID (one of them)");
        }
        refuseOnwardTransfer();
        Service svc;
        try {
            svc = Service.fromValue(service);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--service: " + service + " (see `liaison submit --help` for the list)");
        }
        Matcher lm = LEGAL.matcher(legalBasis.trim());
        Instrument instrument;
        if (!lm.matches()) {
            throw new IllegalArgumentException("--legal-basis: " + legalBasis + " (expected e.g. \"UNTOC art. 18\")");
        }
        try {
            instrument = Instrument.fromValue(lm.group(1).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--legal-basis: " + lm.group(1) + " is not a known instrument (expected UNTOC, "
                    + "SOM-PROTOCOL, TIP-PROTOCOL, FIREARMS-PROTOCOL, BILATERAL-TREATY, NATIONAL-LAW or OTHER)");
        }
        Classification level;
        try {
            level = Classification.fromValue(classification);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--classification: " + classification + " (expected restricted, confidential or secret)");
        }
        Set<HandlingFlag> flags = EnumSet.noneOf(HandlingFlag.class);
        for (String h : handling) {
            try {
                flags.add(HandlingFlag.fromValue(h.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--handling: " + h + " (expected minor-involved, victim-data, witness-protected or "
                        + "no-onward-transfer)");
            }
        }
        List<AuthorityId> recipients = new ArrayList<>();
        for (String t : to) {
            recipients.add(AuthorityId.of(t.trim()));
        }
        LocalClient client = new LocalClient(profileDir).withProgressOnTerminal(!json);
        String who = collectedBy != null ? collectedBy : client.credential().certificate().getSubjectX500Principal().getName();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<FileEntry> entries = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new UserException(f + " is not a file");
            }
            String name = f.getFileName().toString();
            String type = Files.probeContentType(f);
            if (type == null || !type.matches("[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")) {
                type = "application/octet-stream";
            }
            long size = Files.size(f);
            total += size;
            entries.add(new FileEntry(name, type, size, EvidenceFolder.sha256(f, SequentialReader::open),
                    List.of(new FileEntry.Custody(who, Files.getLastModifiedTime(f).toInstant().truncatedTo(ChronoUnit.SECONDS), method, ""))));
        }
        Instant deadline = respondBy == null ? null : deadline(respondBy, now);
        Urgency urgent;
        try {
            urgent = urgency != null ? Urgency.fromValue(urgency)
                    : svc == Service.CONSULAR_NOTIFICATION ? Urgency.URGENT : null; // Protocol art. 16
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--urgency: " + urgency + " (expected: urgent or normal)");
        }
        ManifestSpec spec = new ManifestSpec(caseRef, svc, AuthorityId.of(profile.authority()), recipients, jit, instrument, lm.group(2),
                lm.group(3), level, flags, note, deadline, urgent);
        byte[] manifest = Manifests.sign(spec, entries, client.credential(), UUID.randomUUID(), now);
        PrintWriter err = spec().commandLine().getErr();
        if (!json) {
            err.printf("uploading %d file(s), %d bytes, to %s …%n", files.size(), total, profile.gateway());
            err.flush();
        }
        // The key is chosen, and kept, before the first attempt: re-running the same command reuses it.
        SubmissionRecords records = new SubmissionRecords(profileDir);
        String digest = Envelopes.sha256((Manifests.packageDigest(manifest) + "|" + inReplyTo).getBytes(StandardCharsets.UTF_8));
        SubmissionRecords.Record record = null;
        String key = idempotencyKey;
        boolean unanswered = false; // an earlier attempt at this package got no answer: it may have broken partway
        if (key == null) {
            Optional<SubmissionRecords.Record> earlier = again ? Optional.empty() : records.find(digest);
            record = earlier.isPresent() ? earlier.get() : records.begin(digest);
            key = record.key();
            unanswered = earlier.isPresent() && earlier.get().messageId() == null;
            if (earlier.isPresent() && !json) {
                err.println(earlier.get().messageId() != null
                        ? "this profile submitted the same package before, as message " + earlier.get().messageId()
                            + " (key " + key + "); the gateway returns that message. To send it again as a new message, add --new."
                        : "resuming an earlier attempt at this package that got no answer (key " + key + ")");
                err.flush();
            }
        }
        String id = upload(client, manifest, files, key, unanswered || idempotencyKey != null, total, err);
        if (record != null) {
            records.done(digest, record, id);
        }
        PrintWriter o = spec().commandLine().getOut();
        if (json) {
            o.println(Json.write(Map.of("messageId", id)));
        } else {
            o.println(id);
            err.println("queued for delivery; follow it with: liaison --profile " + profileDir + " status " + id);
        }
        return 0;
    }

    /**
     * Uploads the package; an earlier attempt with the same key that broke partway resumes where the
     * gateway's copy ends (the gateway keeps a broken upload for an hour, while it runs).
     */
    /** The --respond-by presets: the e-Evidence Regulation's periods to answer a production order (art. 10(2) and 10(4)). */
    static final java.util.Map<String, java.time.Duration> RESPOND_BY_PRESETS = java.util.Map.of("e-evidence", java.time.Duration.ofDays(10),
            "e-evidence-emergency", java.time.Duration.ofHours(8));

    /** --respond-by as an instant: a date (the end of that day, UTC), an ISO instant, or an ISO duration from {@code now}. */
    static Instant deadline(String value, Instant now) {
        Instant at;
        try {
            java.time.Duration preset = RESPOND_BY_PRESETS.get(value.toLowerCase(Locale.ROOT));
            if (preset != null) {
                at = now.plus(preset);
            } else if (value.startsWith("P") || value.startsWith("p")) {
                at = now.plus(java.time.Duration.parse(value.toUpperCase(Locale.ROOT)));
            } else if (value.length() == 10) {
                at = java.time.LocalDate.parse(value).plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().minusSeconds(1);
            } else {
                at = Instant.parse(value);
            }
        } catch (java.time.DateTimeException | ArithmeticException e) { // not a date, or a duration past any date
            throw new IllegalArgumentException("--respond-by: " + value + " (expected a date 2026-12-31, a time 2026-12-31T12:00:00Z or a"
                    + " duration P14D / PT48H)");
        }
        if (!at.isAfter(now)) {
            throw new IllegalArgumentException("--respond-by: " + value + " is not in the future");
        }
        at = at.truncatedTo(ChronoUnit.SECONDS);
        try {
            Manifests.checkRespondBy(now, at); // the rule the recipient's node applies
        } catch (ProtocolException e) {
            throw new IllegalArgumentException("--respond-by: " + value + " is too far ahead (" + e.getMessage() + ")");
        }
        return at;
    }

    /**
     * A file taken from a fetched package (FOLDER/files/NAME beside FOLDER/manifest.xml) marked
     * no-onward-transfer goes back to the authority that sent it only; the gateway refuses it too
     * (it knows every file it received), this says so before anything is uploaded.
     */
    private void refuseOnwardTransfer() throws java.io.IOException {
        for (Path f : files) {
            Path folder = f.toAbsolutePath().normalize().getParent();
            if (folder == null || !"files".equals(String.valueOf(folder.getFileName())) || folder.getParent() == null) {
                continue;
            }
            Path manifestFile = folder.getParent().resolve("manifest.xml");
            if (!java.nio.file.Files.isRegularFile(manifestFile)) {
                continue;
            }
            Manifest m;
            try {
                m = Formats.fromElement(SecureXml.parse(
                        java.nio.file.Files.readAllBytes(manifestFile), XmlLimits.DEFAULT).getDocumentElement(),
                        Manifest.class);
            } catch (ProtocolException | RuntimeException notAPackage) {
                continue; // not a package's manifest: the gateway's check still applies
            }
            if (m.getHandling() == null || !m.getHandling().getFlag().contains(HandlingFlag.NO_ONWARD_TRANSFER)) {
                continue;
            }
            List<String> others = jit != null ? List.of("the members of " + jit)
                    : to.stream().flatMap(t -> java.util.Arrays.stream(t.split(","))).map(String::trim).filter(t -> !t.equals(m.getFrom()))
                            .toList();
            if (!others.isEmpty()) {
                throw new UserException(f + " comes from a package " + m.getFrom() + " marked no-onward-transfer: it may go back to "
                        + m.getFrom() + " only, not to " + String.join(", ", others));
            }
        }
    }

    private String upload(LocalClient client, byte[] manifest, List<Path> files, String key, boolean earlierAttempt, long total,
            PrintWriter err) throws java.io.IOException {
        long from = earlierAttempt && key != null ? client.uploadOffset(key) : 0;
        if (from <= 0) {
            return client.submit(manifest, files, key, inReplyTo);
        }
        if (!json) {
            err.printf("Resuming the upload at byte %d of %d (the gateway kept what arrived before it broke).%n", from, total);
            err.flush();
        }
        try {
            return client.submit(manifest, files, key, inReplyTo, from);
        } catch (UserException e) {
            if (!String.valueOf(e.getMessage()).contains(ErrorCode.RESUME_MISMATCH.code())) {
                throw e;
            }
            if (!json) {
                err.println("the gateway no longer holds that part; uploading the whole package again");
            }
            return client.submit(manifest, files, key, inReplyTo);
        }
    }

    private CommandSpec spec() {
        return spec;
    }
}
