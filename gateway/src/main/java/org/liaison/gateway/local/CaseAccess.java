package org.liaison.gateway.local;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import javax.security.auth.x500.X500Principal;
import org.liaison.certs.Role;
import org.liaison.gateway.store.MessageStore;

/**
 * Need to know. An investigator follows the messages they submitted, the received replies to them,
 * and every message of the cases an operator assigned them to ({@code liaison cases assign}).
 * Received messages of a case nobody is assigned to: in mode {@code open} (the default) every
 * investigator of the authority sees them — the intake before a case has a team; in mode
 * {@code assigned} nobody does until an operator assigns the case. Operators see every message's
 * metadata and no content (they cannot fetch); auditors see the audit log only.
 */
public final class CaseAccess {
    /** How received messages of unassigned cases are handled. */
    public enum Mode {
        OPEN, ASSIGNED;

        public static Mode of(String s) {
            if (s == null) {
                return OPEN;
            }
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("caseAccess: " + s + " (expected: open or assigned)");
            }
        }
    }

    private CaseAccess() {}

    /**
     * The stored form of a person named by an operator: {@code SHA256:} and the certificate's
     * fingerprint (64 hex digits), or the certificate's subject DN (RFC 2253).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static String person(String named) {
        String s = named.strip();
        if (s.regionMatches(true, 0, "SHA256:", 0, 7)) {
            String hex = s.substring(7).replace(":", "").toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("a fingerprint is SHA256: and 64 hex digits");
            }
            return "SHA256:" + hex;
        }
        try {
            return new X500Principal(s).getName(X500Principal.RFC2253);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("name a person by their certificate's subject (CN=…,OU=…) or SHA256 fingerprint");
        }
    }

    /** Whether an assignment's person is this user. */
    static boolean is(String person, LocalUser user) {
        if (person.startsWith("SHA256:")) {
            return person.equals(user.actor());
        }
        return new X500Principal(person).equals(user.certificate().getSubjectX500Principal());
    }

    /** One user's access, read from the store once per request. */
    public static final class View {
        private final MessageStore store;
        private final LocalUser user;
        private final Mode mode;
        private final Set<String> mine = new HashSet<>();
        private final Set<String> assigned = new HashSet<>();

        View(MessageStore store, LocalUser user, Mode mode) {
            this.store = store;
            this.user = user;
            this.mode = mode;
            for (MessageStore.Assignment a : store.cases().assignments()) {
                assigned.add(a.caseRef());
                if (is(a.person(), user)) {
                    mine.add(a.caseRef());
                }
            }
        }

        private boolean operator() {
            return user.roles().contains(Role.OPERATOR);
        }

        /** Whether this user follows a message sent from here: theirs, or of a case they are on (operators: all). */
        public boolean follows(MessageStore.Outgoing o) {
            if (operator() || user.actor().equals(o.submitter())) {
                return true;
            }
            return store.cases().caseOf(o.messageId(), false).map(mine::contains).orElse(false);
        }

        /**
         * Whether this user may see a received message of case {@code caseRef} that answers {@code inReplyTo}
         * (null: none) — its content, for an investigator; an operator sees the metadata of all.
         */
        public boolean sees(String caseRef, UUID inReplyTo) {
            if (operator() || mine.contains(caseRef)) {
                return true;
            }
            if (inReplyTo != null && store.sent().outgoing(inReplyTo).map(o -> user.actor().equals(o.submitter())).orElse(false)) {
                return true;
            }
            return mode == Mode.OPEN && !assigned.contains(caseRef);
        }

        /** What the store's listings need to apply these rules in SQL (see store/Listings). */
        public MessageStore.Viewer viewer() {
            return new MessageStore.Viewer(operator(), user.actor(), mine, mode == Mode.OPEN);
        }

        /** The cases this user is assigned to. */
        public Set<String> cases() {
            return Set.copyOf(mine);
        }
    }

    public static View view(MessageStore store, LocalUser user, Mode mode) {
        return new View(store, user, mode);
    }

    /** Only the assignments of these cases (for listings). */
    public static List<MessageStore.Assignment> of(List<MessageStore.Assignment> all, String caseRef) {
        return caseRef == null ? all : all.stream().filter(a -> a.caseRef().equals(caseRef)).toList();
    }
}
