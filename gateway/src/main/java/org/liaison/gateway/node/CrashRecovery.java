package org.liaison.gateway.node;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEntries;

/**
 * What a crash may have left half-done, read at open in one pass over the last entries of the audit
 * log ({@code AuditLog.recentAtOpen}): receptions the log recorded but the store does not hold (the
 * sender's next attempt is the same reception, not a new one), and the deadlines already reported as
 * passed (a restart does not report them again). Entries that do not parse are passed over.
 */
final class CrashRecovery {
    /** "sender/id" of receptions the audit log recorded but the store did not hold at start (a crash between the two). */
    private final Set<String> receivedBeforeCrash = ConcurrentHashMap.newKeySet();
    private final List<UUID> deadlinesPassed = new ArrayList<>();

    private CrashRecovery() {}

    /** What the tail's entries say, before the store is asked: the receptions logged, the deadlines reported as passed. */
    record Tail(List<AuthorityId> senders, List<UUID> received, List<UUID> deadlinesPassed) {}

    /**
     * Parses the tail on another thread (the common pool), so that it overlaps what the node opens meanwhile (trust, keys,
     * store): {@link #read(Tail, BiPredicate)} takes the result.
     */
    static CompletableFuture<Tail> parseAsync(List<byte[]> tail) {
        return CompletableFuture.supplyAsync(() -> parse(tail));
    }

    /** The result of {@link #parseAsync}, waited for; what failed there is thrown here as it was. */
    static Tail await(CompletableFuture<Tail> parsed) {
        try {
            return parsed.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Reads the tail's entries once (entries that do not parse are passed over). */
    static Tail parse(List<byte[]> tail) {
        List<AuthorityId> senders = new ArrayList<>();
        List<UUID> received = new ArrayList<>();
        List<UUID> deadlinesPassed = new ArrayList<>();
        for (byte[] raw : tail) {
            AuditEntries.Entry e;
            UUID id;
            try {
                e = AuditEntries.parse(raw);
                if (e.messageId() == null) {
                    continue;
                }
                id = UUID.fromString(e.messageId());
                if ("receive".equals(e.type())) {
                    senders.add(AuthorityId.of(e.counterpart()));
                    received.add(id);
                } else if ("deadline-passed".equals(e.type())) {
                    deadlinesPassed.add(id);
                }
            } catch (IOException | RuntimeException skip) {
                // not an entry of interest (or not one at all: a log cut by the crash)
            }
        }
        return new Tail(senders, received, deadlinesPassed);
    }

    /**
     * Reads the tail once. {@code held}: whether the store holds the reception of message {@code id} from
     * {@code sender} (asked for each {@code receive} entry of the tail, after the whole tail was read).
     */
    static CrashRecovery read(List<byte[]> tail, BiPredicate<AuthorityId, UUID> held) {
        return read(parse(tail), held);
    }

    /** As {@link #read(List, BiPredicate)}, from the parsed tail. */
    static CrashRecovery read(Tail t, BiPredicate<AuthorityId, UUID> held) {
        CrashRecovery r = new CrashRecovery();
        r.deadlinesPassed.addAll(t.deadlinesPassed());
        for (int i = 0; i < t.received().size(); i++) {
            if (!held.test(t.senders().get(i), t.received().get(i))) {
                r.receivedBeforeCrash.add(t.senders().get(i) + "/" + t.received().get(i));
            }
        }
        return r;
    }

    /** The messages whose passed deadline the log records already. */
    List<UUID> deadlinesPassed() {
        return List.copyOf(deadlinesPassed);
    }

    /** Whether a crash came between the log's {@code receive} entry of this message and its storing. Asked once; forgotten after. */
    boolean receiveLoggedBeforeACrash(AuthorityId sender, UUID messageId) {
        return receivedBeforeCrash.remove(sender + "/" + messageId);
    }

    /** A {@code receive} entry was logged and the store then failed: the next reception of the message is the same one. */
    void receiveLoggedNotStored(AuthorityId sender, UUID messageId) {
        receivedBeforeCrash.add(sender + "/" + messageId);
    }
}
