package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.stream.PayloadCipher;

/**
 * A delivery broken at about half of a large payload — the sender killed, the receiver killed, the
 * connection cut — resumes from the receiver's verified bytes, not from byte 0; the package fetched
 * is the one sent, and the receiver holds exactly one copy. The payload size is
 * {@code -Dliaison.resume.mib} (200 by default; scripts/resume-figures runs 2048 and prints the figures).
 */
class ResumeTest {
    static final long SIZE = Long.getLong("liaison.resume.mib", 200) << 20;
    /** Payload bytes on the wire per payload byte: without a resume a break at half costs about 1.5. */
    static final double MAX_RATIO = 1.05;

    @TempDir
    Path dir;

    @RegisterExtension
    final LogsOnFailure logs = new LogsOnFailure(() -> dir);

    /** The test nodes' tuning, taking messages of any size this test sends (the default test limit is 1 GiB). */
    static final GatewayNode.Tuning TUNING = TestNodes.FAST.toBuilder().maxMessageBytes(Math.max(1L << 30, 2 * SIZE)).build();

    static GatewayNode start(TestNodes t, AuthorityId id) throws Exception {
        return GatewayNode.start(t.config(id), new MemoryAuditLog(), TUNING);
    }

    /** The ciphertext size of the test payload (what goes on the wire). */
    static long wireSize() {
        return PayloadCipher.ciphertextSize(SIZE, PayloadCipher.DEFAULT_SEGMENT_SIZE);
    }

    /** The staged payload of the one transfer in progress at {@code node}'s data folder, once it is at least half there. */
    static Path halfStaged(TestNodes t, AuthorityId node) throws Exception {
        Path transfers = t.federation.dir().resolve(node.value()).resolve("data/blobs/transfers");
        Path[] found = new Path[1];
        TestNodes.await("half of the payload staged", Duration.ofSeconds(120), () -> {
            try (var s = Files.walk(transfers)) {
                Optional<Path> f = s.filter(p -> p.getFileName().toString().startsWith("payload-"))
                        .filter(p -> p.toFile().length() > wireSize() / 2).findFirst();
                f.ifPresent(p -> found[0] = p);
                return f.isPresent();
            } catch (IOException | java.io.UncheckedIOException e) {
                return false;
            }
        });
        return found[0];
    }

    /** The SHA-256 of the files of a package fetched through the local API of {@code node} (one file here). */
    static byte[] fetchedSha(TestNodes t, AuthorityId node, UUID id) throws Exception {
        LocalClient client = new LocalClient(t.federation.profiles().get(node).get(Role.INVESTIGATOR));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (DataInputStream in = new DataInputStream(client.fetch(id.toString()))) {
            in.skipNBytes(in.readInt()); // the manifest
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return sha.digest();
    }

    static byte[] sentSha() throws Exception {
        return sha(SIZE);
    }

    /** The SHA-256 of the test content of {@code size} bytes. */
    static byte[] sha(long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = ServeProcessTest.generated(size).open()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return sha.digest();
    }

    static void report(String what, long wireBytes) {
        System.out.printf("resume figure: %s at ~50%% of %d MiB: %d payload bytes on the wire / %d = %.4f%n", what, SIZE >> 20,
                wireBytes, wireSize(), wireBytes / (double) wireSize());
    }

    /** Queues a large message at IT while AL is down; returns its id. */
    static UUID queued(TestNodes t) throws Exception {
        try (GatewayNode it = start(t, IT)) {
            return it.outbox().submit(ServeProcessTest.large(t, IT, AL, SIZE));
        }
    }

    @Test
    @Timeout(600)
    void senderKilledAtHalfResumesAfterRestart() throws Exception {
        TestNodes t = new TestNodes(dir);
        UUID id = queued(t);
        try (GatewayNode al = start(t, AL)) {
            Process it = ServeProcessTest.serve(t.config(IT), dir.resolve("it.log"));
            try {
                halfStaged(t, AL);
                it.destroyForcibly(); // kill -9 mid-transfer
                it.waitFor(10, TimeUnit.SECONDS);
                assertThat(al.store().inbox().all()).isEmpty();
                Process again = ServeProcessTest.serve(t.config(IT), dir.resolve("it-again.log"));
                try {
                    TestNodes.await("delivery after restart", Duration.ofSeconds(300), () -> al.store().inbox().all().size() == 1);
                    ServeProcessTest.awaitLog(dir.resolve("it-again.log"), "delivered " + id, Duration.ofSeconds(30));
                    assertThat(Files.readString(dir.resolve("it-again.log"))).contains("resuming the delivery of " + id);
                    again.destroy();
                    assertThat(again.waitFor(30, TimeUnit.SECONDS)).isTrue();
                } finally {
                    again.destroyForcibly();
                }
            } finally {
                it.destroyForcibly();
            }
            long wire = al.metrics().payloadBytesReceived();
            report("sender killed", wire);
            assertThat(wire).isGreaterThanOrEqualTo(wireSize()).isLessThan((long) (wireSize() * MAX_RATIO));
            assertThat(al.store().inbox().all()).hasSize(1);
            assertThat(al.store().inbox().all().get(0).messageId()).isEqualTo(id);
            assertThat(fetchedSha(t, AL, id)).isEqualTo(sentSha());
            assertThat(stagedFolders(t, AL)).isZero();
        }
        try (MessageStore store = SqliteMessageStore.open(t.federation.dir().resolve("IT-DNA/data/messages.db"))) {
            assertThat(store.deliveries().of(id).get(0).state()).isEqualTo(MessageStore.State.DELIVERED);
        }
    }

    @Test
    @Timeout(600)
    void receiverKilledAtHalfResumesAfterItsRestart() throws Exception {
        TestNodes t = new TestNodes(dir);
        UUID id = queued(t);
        try (GatewayNode it = start(t, IT)) {
            Process al = ServeProcessTest.serve(t.config(AL), dir.resolve("al.log"));
            try {
                halfStaged(t, AL);
                al.destroyForcibly(); // kill -9 of the receiver mid-transfer
                al.waitFor(10, TimeUnit.SECONDS);
                al = ServeProcessTest.serve(t.config(AL), dir.resolve("al-again.log"));
                TestNodes.await("delivery after the receiver's restart", Duration.ofSeconds(300),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                long wire = it.payloadBytesSent();
                report("receiver killed", wire);
                assertThat(wire).isGreaterThanOrEqualTo(wireSize()).isLessThan((long) (wireSize() * MAX_RATIO));
                assertThat(fetchedSha(t, AL, id)).isEqualTo(sentSha());
                assertThat(Files.readString(dir.resolve("al-again.log"))).contains("received message " + id);
            } finally {
                al.destroy();
                al.waitFor(30, TimeUnit.SECONDS);
            }
        }
        try (MessageStore store = SqliteMessageStore.open(t.federation.dir().resolve("AL-PP/data/messages.db"))) {
            assertThat(store.inbox().all()).hasSize(1);
        }
        assertThat(stagedFolders(t, AL)).isZero();
    }

    @Test
    @Timeout(600)
    void cutConnectionResumesAndATamperedStagedSegmentIsResent() throws Exception {
        TestNodes t = new TestNodes(dir);
        UUID id = queued(t);
        // AL listens on another port; the directory's port is a relay that the test cuts.
        int[] ports = behindRelay(t);
        // At most 200 MB/s through the relay: the test looks at the staged file every 50 ms, so the cut comes at most
        // ~10 MB after half (unlimited, a fast delivery ran tens of megabytes past it).
        try (Relay relay = new Relay(ports[0], ports[1], 200_000_000); GatewayNode al = start(t, AL); GatewayNode it = start(t, IT)) {
            Path staged = halfStaged(t, AL);
            relay.cut();
            TestNodes.await("the receiver saw the cut", Duration.ofSeconds(30), () -> al.transfers().claim(IT, id)
                    && release(al, id));
            // Meanwhile a stored segment near the start is altered on the receiver's disk: it must not be trusted.
            long tampered = PayloadCipher.ciphertextOffset(10, PayloadCipher.DEFAULT_SEGMENT_SIZE) + 100;
            try (RandomAccessFile f = new RandomAccessFile(staged.toFile(), "rw")) {
                f.seek(tampered);
                int b = f.read();
                f.seek(tampered);
                f.write(b ^ 0x40);
            }
            relay.open();
            TestNodes.await("delivery after the cut", Duration.ofSeconds(300),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            long wire = al.metrics().payloadBytesReceived();
            report("connection cut, stored segment 10 altered", wire);
            // Resumed at segment 10, not at half and not at 0: more than the whole once, less than the whole plus half.
            long segment10 = PayloadCipher.ciphertextOffset(10, PayloadCipher.DEFAULT_SEGMENT_SIZE);
            assertThat(wire).isGreaterThanOrEqualTo(wireSize() + wireSize() / 2 - segment10 - (2L << 20))
                    .isLessThan(wireSize() + wireSize() / 2 + (32L << 20));
            assertThat(relay.connections()).isGreaterThanOrEqualTo(2);
            assertThat(fetchedSha(t, AL, id)).isEqualTo(sentSha());
            assertThat(al.store().inbox().all()).hasSize(1);
            assertThat(stagedFolders(t, AL)).isZero();
        }
    }

    @Test
    @Timeout(600)
    void aFetchKilledAtHalfResumesWithTheRestOnly() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = start(t, IT); GatewayNode al = start(t, AL)) {
            UUID id = it.outbox().submit(ServeProcessTest.large(t, IT, AL, SIZE));
            TestNodes.await("delivery", Duration.ofSeconds(300),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            String user = t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString();
            Path got = dir.resolve("got");
            Path partial = dir.resolve(".got.partial/files/disk-image.bin");
            Process fetch = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), "org.liaison.cli.Main", "--profile", user, "fetch", id.toString(), "--out",
                    got.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("fetch.log").toFile()).start();
            try {
                TestNodes.await("half of the download", Duration.ofSeconds(120), () -> partial.toFile().length() > SIZE / 2);
                fetch.destroyForcibly(); // kill -9 of the CLI mid-download
                fetch.waitFor(10, TimeUnit.SECONDS);
            } finally {
                fetch.destroyForcibly();
            }
            long kept = Files.size(partial);
            assertThat(kept).as(Files.readString(dir.resolve("fetch.log"))).isLessThan(SIZE);

            CliEndToEndTest.Run again = CliEndToEndTest.liaison("--profile", user, "fetch", id.toString(), "--out", got.toString());

            assertThat(again.exit()).as(again.out() + again.err()).isZero();
            assertThat(again.err()).contains("Resuming the download of " + id);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(got.resolve("files/disk-image.bin"))) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
            }
            assertThat(sha.digest()).isEqualTo(sentSha());
            assertThat(dir.resolve(".got.partial")).doesNotExist();
            // The gateway served the rest only: its audit entry says where the download resumed.
            List<AuditEvent> fetches = ((MemoryAuditLog) al.audit()).events().stream()
                    .filter(e -> e.type().equals("fetch")).toList();
            assertThat(fetches).hasSize(2);
            String reason = fetches.get(1).reason();
            assertThat(reason).startsWith("resumed at byte ");
            assertThat(Long.parseLong(reason.replaceAll("\\D", ""))).isGreaterThanOrEqualTo(kept).isGreaterThan(SIZE / 2);
        }
    }

    @Test
    @Timeout(600)
    void aSubmitKilledAtHalfResumesWhenTheSameCommandRunsAgain() throws Exception {
        TestNodes t = new TestNodes(dir);
        Path file = dir.resolve("disk-image.bin");
        try (InputStream in = ServeProcessTest.generated(SIZE).open()) {
            Files.copy(in, file);
        }
        try (GatewayNode it = start(t, IT); GatewayNode al = start(t, AL)) {
            Path user = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
            String[] submit = {"--profile", user.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case",
                "OP-UPLOAD-1", "--legal-basis", "UNTOC art. 18", file.toString()};
            List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), "org.liaison.cli.Main"));
            cmd.addAll(List.of(submit));
            Process cli = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("submit.log").toFile()).start();
            Path staging = t.federation.dir().resolve("IT-DNA/data/blobs/staging");
            try {
                TestNodes.await("half of the upload", Duration.ofSeconds(120), () -> {
                    try (var s = Files.walk(staging)) {
                        return s.anyMatch(p -> p.getFileName().toString().startsWith("payload-") && p.toFile().length() > wireSize() / 2);
                    } catch (IOException | java.io.UncheckedIOException e) {
                        return false;
                    }
                });
                cli.destroyForcibly(); // kill -9 of the CLI mid-upload
                cli.waitFor(10, TimeUnit.SECONDS);
            } finally {
                cli.destroyForcibly();
            }
            // The gateway parks what arrived under the profile's key for this package.
            Path records = user.resolve("submissions");
            String key;
            try (var s = Files.list(records)) {
                key = Files.readAllLines(s.findFirst().orElseThrow()).get(0).trim();
            }
            LocalClient client = new LocalClient(user);
            TestNodes.await("the broken upload parked", Duration.ofSeconds(30), () -> {
                try {
                    return client.uploadOffset(key) > SIZE / 2;
                } catch (IOException e) {
                    return false;
                }
            });
            long kept = client.uploadOffset(key);
            assertThat(kept).isLessThan(SIZE);

            CliEndToEndTest.Run again = CliEndToEndTest.liaison(submit);

            assertThat(again.exit()).as(again.out() + again.err()).isZero();
            assertThat(again.err()).contains("Resuming the upload at byte " + kept + " of " + SIZE);
            UUID id = UUID.fromString(again.out().trim());
            TestNodes.await("delivery", Duration.ofSeconds(300),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            assertThat(fetchedSha(t, AL, id)).isEqualTo(sentSha());
            assertThat(it.store().sent().all()).hasSize(1);
            assertThat(client.uploadOffset(key)).isZero();
            System.out.printf("resume figure: CLI submit killed at ~50%% of %d MiB: resumed at file byte %d%n", SIZE >> 20, kept);
        }
    }

    @Test
    void aParkedUploadResumesOnlyAtItsOwnOffsetForItsOwnKeyAndPackage() throws Exception {
        TestNodes t = new TestNodes(dir);
        TestClock clock = new TestClock();
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(),
                TUNING.toBuilder().clock(clock).build())) {
            java.security.cert.X509Certificate me = t.investigator(IT).certificate();
            var first = t.submission(IT, List.of(AL), null, "key-1", TestNodes.text("first half|second half"));
            var other = t.submission(IT, List.of(AL), null, "key-1", TestNodes.text("another package"));
            var s = it.outbox().begin(first.manifestXml(), me, "key-1", null, null, null);
            s.write(java.nio.ByteBuffer.wrap("first half|".getBytes()));
            it.outbox().park(s); // the connection broke
            assertThat(it.outbox().parkedBytes(me, "key-1")).isEqualTo(11);
            assertThat(it.outbox().parkedBytes(me, "key-2")).isZero();

            // Another offset, another package under the key, or a key without a parked upload: refused, nothing changes.
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> it.outbox().begin(first.manifestXml(), me, "key-1",
                    null, null, null, 5), ProtocolException.class).code())
                    .isEqualTo(ErrorCode.RESUME_MISMATCH);
            assertThat(it.outbox().parkedBytes(me, "key-1")).isEqualTo(11);
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> it.outbox().begin(first.manifestXml(), me, "key-2",
                    null, null, null, 11), ProtocolException.class).code())
                    .isEqualTo(ErrorCode.RESUME_MISMATCH);
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> it.outbox().begin(other.manifestXml(), me, "key-1",
                    null, null, null, 11), ProtocolException.class).code())
                    .isEqualTo(ErrorCode.RESUME_MISMATCH);
            assertThat(it.outbox().parkedBytes(me, "key-1")).isZero(); // another package under the key: the parked one went

            // Parked again, then resumed at its offset: one message with the whole file.
            s = it.outbox().begin(first.manifestXml(), me, "key-1", null, null, null);
            s.write(java.nio.ByteBuffer.wrap("first half|".getBytes()));
            it.outbox().park(s);
            var resumed = it.outbox().begin(first.manifestXml(), me, "key-1", null, null, null, 11);
            resumed.write(java.nio.ByteBuffer.wrap("second half".getBytes()));
            UUID id = resumed.finish();
            assertThat(it.store().sent().all()).hasSize(1);
            assertThat(it.outbox().submit(first)).isEqualTo(id); // the key made that message

            // Abandoned uploads cannot pile up: beyond a person's share, the next broken ones are not kept.
            for (int i = 0; i < Outbox.MAX_PARKED_PER_PERSON + 4; i++) {
                var each = t.submission(IT, List.of(AL), null, "many-" + i, TestNodes.text("abandoned " + i));
                var session = it.outbox().begin(each.manifestXml(), me, "many-" + i, null, null, null);
                session.write(java.nio.ByteBuffer.wrap("aban".getBytes()));
                it.outbox().park(session);
                clock.advance(Duration.ofMillis(1)); // distinct deadlines
            }
            assertThat(it.outbox().parkedBytes(me, "many-0")).isEqualTo(4);
            assertThat(it.outbox().parkedBytes(me, "many-" + (Outbox.MAX_PARKED_PER_PERSON + 3))).isZero();
            long kept = java.util.stream.IntStream.range(0, Outbox.MAX_PARKED_PER_PERSON + 4)
                    .filter(i -> it.outbox().parkedBytes(me, "many-" + i) > 0).count();
            assertThat(kept).isEqualTo(Outbox.MAX_PARKED_PER_PERSON);

            // An hour on (by the node's clock), every parked upload is gone.
            clock.advance(Outbox.PARK.minusSeconds(5));
            assertThat(it.outbox().parkedBytes(me, "many-" + (Outbox.MAX_PARKED_PER_PERSON - 1))).isEqualTo(4);
            clock.advance(Duration.ofSeconds(10));
            assertThat(it.outbox().parkedBytes(me, "many-" + (Outbox.MAX_PARKED_PER_PERSON - 1))).isZero();
        }
    }

    /** Another investigator of the same authority, with a certificate of its national CA. */
    static Credential anotherInvestigator(TestNodes t, String name) throws Exception {
        java.security.KeyPair kp = t.federation.pki().suite().keyFor(CertificateProfile.INVESTIGATOR).generate();
        java.time.Instant now = java.time.Instant.now();
        return Credential.create(kp.getPrivate(), t.federation.pki().authority(IT).ca().issue(
                new CertificateAuthority.Request("CN=IT-DNA investigator " + name + ", OU=IT-DNA", kp.getPublic(),
                        CertificateProfile.INVESTIGATOR, now.minusSeconds(60), now.plus(Duration.ofDays(1)), List.of(),
                        List.of(), -1)));
    }

    /** A session of {@code person} under {@code key} that took 4 file bytes, then broke. */
    static void breakAnUpload(GatewayNode node, Credential person, String key) throws Exception {
        byte[] manifest = RawPeer.manifest(person, IT, List.of(AL), java.util.Set.of(), "abandoned".getBytes());
        var session = node.outbox().begin(manifest, person.certificate(), key, null, null, null);
        session.write(java.nio.ByteBuffer.wrap("aban".getBytes()));
        node.outbox().park(session);
    }

    @Test
    void oneInvestigatorsBrokenUploadsNeverPushOutAnothersAndWhatIsNotKeptIsRefusedAndAudited() throws Exception {
        TestNodes t = new TestNodes(dir);
        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), audit, TUNING)) {
            Credential victim = t.investigator(IT);
            breakAnUpload(it, victim, "mine");
            assertThat(it.outbox().parkedBytes(victim.certificate(), "mine")).isEqualTo(4);

            // Another investigator breaks more uploads than the whole node keeps: beyond their share, none is kept.
            Credential flooder = anotherInvestigator(t, "F");
            for (int i = 0; i <= Outbox.MAX_PARKED; i++) {
                breakAnUpload(it, flooder, "flood-" + i);
            }
            assertThat(it.outbox().parkedBytes(victim.certificate(), "mine")).isEqualTo(4);
            assertThat(java.util.stream.IntStream.rangeClosed(0, Outbox.MAX_PARKED)
                    .filter(i -> it.outbox().parkedBytes(flooder.certificate(), "flood-" + i) > 0).count())
                    .isEqualTo(Outbox.MAX_PARKED_PER_PERSON);
            String flooderId = "SHA256:" + Fingerprint.of(flooder.certificate()).hex();
            assertThat(audit.events()).filteredOn(e -> e.type().equals("upload-not-kept") && e.actor().equals(flooderId)
                    && e.reason().contains(ErrorCode.PARKED_UPLOADS_FULL.code()))
                    .hasSize(Outbox.MAX_PARKED + 1 - Outbox.MAX_PARKED_PER_PERSON);

            // A resume of one that was not kept says why; the kept ones resume.
            byte[] manifest = RawPeer.manifest(flooder, IT, List.of(AL), java.util.Set.of(), "abandoned".getBytes());
            ProtocolException refused = org.assertj.core.api.Assertions.catchThrowableOfType(() -> it.outbox()
                    .begin(manifest, flooder.certificate(), "flood-" + Outbox.MAX_PARKED, null, null, null, 4),
                    ProtocolException.class);
            assertThat(refused.code()).isEqualTo(ErrorCode.PARKED_UPLOADS_FULL);
            assertThat(refused.getMessage()).contains("at most " + Outbox.MAX_PARKED_PER_PERSON + " per person")
                    .contains("send it from the start");

            // Many people, each within their share, fill the node: then nobody's parked upload is pushed out either.
            for (int p = 0; p * Outbox.MAX_PARKED_PER_PERSON < Outbox.MAX_PARKED; p++) {
                Credential each = anotherInvestigator(t, "P" + p);
                for (int i = 0; i < Outbox.MAX_PARKED_PER_PERSON; i++) {
                    breakAnUpload(it, each, "each-" + i);
                }
            }
            assertThat(it.outbox().parkedBytes(victim.certificate(), "mine")).isEqualTo(4);
            assertThat(audit.events()).anyMatch(e -> e.type().equals("upload-not-kept") && e.reason().contains("this node held "
                    + Outbox.MAX_PARKED));
        }
    }

    /** Points AL's directory port at a relay: AL listens on a free port instead. Returns {published, actual}. */
    static int[] behindRelay(TestNodes t) throws IOException {
        int published = Integer.parseInt(Files.readAllLines(t.config(AL)).stream().filter(l -> l.startsWith("  port: ")).findFirst()
                .orElseThrow().replaceAll("\\D", ""));
        int actual;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            actual = free.getLocalPort();
        }
        Files.writeString(t.config(AL), Files.readString(t.config(AL)).replaceFirst("  port: " + published + "\n", "  port: " + actual + "\n"));
        return new int[] {published, actual};
    }

    @Test
    @Timeout(120)
    void aDeliveryLongerThanTheClientTimeoutRunsWhileItMoves() throws Exception {
        TestNodes t = new TestNodes(dir);
        int[] ports = behindRelay(t);
        // 6 MiB through a 1.5 MB/s link: about 4 s of upload in which the sender reads nothing, against a 2 s timeout
        // (not 1 s: after the last byte the receiver syncs, logs and signs its receipt, which a loaded machine can stretch).
        GatewayNode.Tuning impatient = TUNING.toBuilder().clientTimeout(Duration.ofSeconds(2)).build();
        try (Relay relay = new Relay(ports[0], ports[1], 1_500_000); GatewayNode al = start(t, AL);
                GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), impatient)) {
            UUID id = it.outbox().submit(ServeProcessTest.large(t, IT, AL, 6L << 20));
            TestNodes.await("delivery", Duration.ofSeconds(60),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            // In one attempt: not cut by a read timeout and finished by resumes.
            assertThat(it.store().deliveries().of(id).get(0).attempts()).isEqualTo(1);
            assertThat(al.metrics().payloadBytesReceived()).isEqualTo(PayloadCipher.ciphertextSize(6L << 20,
                    PayloadCipher.DEFAULT_SEGMENT_SIZE));
        }
    }

    private static boolean release(GatewayNode al, UUID id) {
        al.transfers().release(IT, id);
        return true;
    }

    static long stagedFolders(TestNodes t, AuthorityId node) throws IOException {
        Path transfers = t.federation.dir().resolve(node.value()).resolve("data/blobs/transfers");
        try (var s = Files.walk(transfers)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    /** A TCP relay on loopback whose connections the test can cut, and that refuses new ones until opened again. */
    static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private final int target;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private volatile boolean cut;
        private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        /** Bytes per second each direction may carry (0: as fast as it goes). */
        private final long rate;

        Relay(int port, int target) throws IOException {
            this(port, target, 0);
        }

        Relay(int port, int target, long rate) throws IOException {
            this.server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            this.target = target;
            this.rate = rate;
            Thread accept = new Thread(this::accept, "relay");
            accept.setDaemon(true);
            accept.start();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    if (cut) {
                        in.close();
                        continue;
                    }
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                    connections.incrementAndGet();
                    sockets.add(in);
                    sockets.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed, or a connection failed: the next one is accepted
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[rate > 0 ? (int) Math.max(1024, rate / 20) : 1 << 16];
                try {
                    InputStream in = from.getInputStream();
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        to.getOutputStream().write(buf, 0, n);
                        if (rate > 0) {
                            Thread.sleep(n * 1000L / rate);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // cut
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, "relay-pump");
            t.setDaemon(true);
            t.start();
        }

        int connections() {
            return connections.get();
        }

        void cut() {
            cut = true;
            sockets.forEach(Relay::closeQuietly);
            sockets.clear();
        }

        void open() {
            cut = false;
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            cut();
            server.close();
        }
    }
}
