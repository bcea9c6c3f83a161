package org.liaison.gateway.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.SignedNote;

/**
 * Trusted time for the evidence a node issues, from an RFC 3161 time-stamping authority: the node has
 * its audit log's latest signed checkpoint stamped, every {@code every}, when it grew. Every evidence is in
 * the log (its digest in an entry), so a stamped checkpoint covering that entry proves, with the inclusion
 * proof, that the evidence existed at the token's time. One token per interval serves every evidence of
 * that interval, at any rate of messages (see docs/formats.md for why not one token per evidence).
 *
 * <p>The TSA being unreachable stops nothing at first: the newest checkpoint waits (it covers every older
 * one), is retried at each interval, and {@code liaison_trusted_time_seconds_without} rises; after
 * {@code maxWithout} (default 14,400 s) without a token, {@link #check} refuses new submissions with
 * {@link ErrorCode#TRUSTED_TIME_UNAVAILABLE} until a token is obtained again. Receptions, deliveries and
 * fetches go on (refusing a peer's delivery would lose nothing but would stall every sender).
 *
 * <p>Tokens are stored in {@code dataDir/timestamps/} as {@code SIZE.checkpoint} (the signed note, exact
 * bytes) and {@code SIZE.tsr} (the token, DER): {@code openssl ts -verify -data SIZE.checkpoint -in SIZE.tsr
 * -token_in -CAfile ROOT -untrusted TSA} checks one with nothing from Liaison.
 */
public final class TrustedTime implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TrustedTime.class);
    public static final String FOLDER = "timestamps";
    public static final Duration DEFAULT_MAX_WITHOUT = Duration.ofSeconds(14_400);
    public static final Duration DEFAULT_EVERY = Duration.ofSeconds(10);

    private final TimeStamps.Authority tsa;
    private final Supplier<String> checkpoint;
    private final Clock clock;
    private final Path dir;
    private final Duration maxWithout;
    private final Duration every;
    private final AtomicLong failures = new AtomicLong();
    private final ScheduledExecutorService stamper = GracefulStop.scheduler("liaison-timestamps");
    private String stamped;
    /** When the oldest checkpoint still without a token was first seen; null when every one is covered. */
    private volatile Instant unstampedSince;
    private volatile Instant lastToken;

    /**
     * @param checkpoint the audit log's latest signed checkpoint ({@code AuditLog::checkpoint}), null while it has none
     */
    public TrustedTime(TimeStamps.Authority tsa, Supplier<String> checkpoint, Clock clock, Path dir, Duration maxWithout) throws IOException {
        this(tsa, checkpoint, clock, dir, maxWithout, DEFAULT_EVERY);
    }

    public TrustedTime(TimeStamps.Authority tsa, Supplier<String> checkpoint, Clock clock, Path dir, Duration maxWithout, Duration every)
            throws IOException {
        this.every = every == null ? DEFAULT_EVERY : every;
        this.tsa = tsa;
        this.checkpoint = checkpoint;
        this.clock = clock;
        this.dir = dir;
        this.maxWithout = maxWithout == null ? DEFAULT_MAX_WITHOUT : maxWithout;
        Files.createDirectories(dir);
        List<Stamp> held = stamps();
        if (!held.isEmpty()) {
            stamped = held.get(held.size() - 1).checkpoint();
        }
    }

    /** How often the checkpoint is stamped. */
    public Duration every() {
        return every;
    }

    /** Stamps every {@code every}; the first attempt at once. */
    public void start(Duration every) {
        stamper.scheduleWithFixedDelay(this::stampNow, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Has the latest checkpoint stamped, if it is not yet. Whether every checkpoint is now covered (false:
     * the TSA failed; it is retried at the next interval).
     */
    public synchronized boolean stampNow() {
        String cp = checkpoint.get();
        if (cp == null || cp.equals(stamped)) {
            unstampedSince = null;
            return true;
        }
        if (unstampedSince == null) {
            unstampedSince = clock.instant();
        }
        try {
            byte[] note = cp.getBytes(StandardCharsets.UTF_8);
            TimeStamps.Verified t = TimeStamps.request(tsa, sha256(note));
            long size = Checkpoint.ofNote(cp).size();
            SecureFiles.writeAtomically(dir.resolve(size + ".checkpoint"), note, false);
            SecureFiles.writeAtomically(dir.resolve(size + ".tsr"), t.token(), false);
            stamped = cp;
            unstampedSince = null;
            lastToken = clock.instant();
            return true;
        } catch (IOException | RuntimeException e) {
            long n = failures.incrementAndGet();
            Duration without = Duration.between(unstampedSince, clock.instant());
            if (without.compareTo(maxWithout) > 0) {
                LOG.error("no trusted time for {} s (more than {} s): new submissions are refused until the TSA answers; attempt {}: {}",
                        without.toSeconds(), maxWithout.toSeconds(), n, e.getMessage());
            } else {
                LOG.warn("the TSA {} failed (attempt {}, {} s without trusted time; submissions are refused after {} s): {}", tsa.url(), n,
                        without.toSeconds(), maxWithout.toSeconds(), e.getMessage());
            }
            return false;
        }
    }

    /**
     * Refuses new submissions while the node has been without trusted time for longer than
     * {@code maxWithout}.
     */
    public void check() throws ProtocolException {
        Instant since = unstampedSince;
        if (since != null && Duration.between(since, clock.instant()).compareTo(maxWithout) > 0) {
            throw new ProtocolException(ErrorCode.TRUSTED_TIME_UNAVAILABLE, "this node has had no trusted time from its TSA for "
                    + Duration.between(since, clock.instant()).toSeconds() + " s (limit " + maxWithout.toSeconds()
                    + " s): new submissions are refused until the TSA answers again; try later or ask the operator");
        }
    }

    /** Seconds since the oldest checkpoint still without a token was seen (0 when all are covered): the alarm metric. */
    public double secondsWithout() {
        Instant since = unstampedSince;
        return since == null ? 0 : Math.max(0, Duration.between(since, clock.instant()).toMillis() / 1000.0);
    }

    /** How many requests to the TSA failed since the start. */
    public long failures() {
        return failures.get();
    }

    /** A stamped checkpoint: the signed note's exact text and its token. */
    public record Stamp(long size, String checkpoint, byte[] token) {}

    /** Every stamped checkpoint held, smallest first. */
    public List<Stamp> stamps() throws IOException {
        List<Stamp> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".tsr")).toList()) {
                String n = f.getFileName().toString();
                long size = Long.parseLong(n.substring(0, n.length() - 4));
                Path note = dir.resolve(size + ".checkpoint");
                if (Files.exists(note)) {
                    out.add(new Stamp(size, Files.readString(note, StandardCharsets.UTF_8), Files.readAllBytes(f)));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(Stamp::size));
        return out;
    }

    /** The first stamped checkpoint that covers log entry {@code index}, if one is held. */
    public java.util.Optional<Stamp> covering(long index) throws IOException {
        return stamps().stream().filter(s -> s.size() > index).findFirst();
    }

    /** The TSA this node asks. */
    public TimeStamps.Authority authority() {
        return tsa;
    }

    /** The TSA's chain (TSA certificate first). */
    public List<java.security.cert.X509Certificate> chain() {
        return tsa.chain();
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a signed note is a checkpoint of the log with {@code verifierKey} (for checks of stored stamps). */
    static boolean isCheckpointOf(String note, String verifierKey) {
        try {
            Checkpoint.parse(SignedNote.open(note, verifierKey));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public void close() {
        GracefulStop.stop(stamper, "timestamps"); // a stamp in flight is kept before the node closes
    }
}
