package org.liaison.gateway.local;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * What an investigator asks of the inbox listing ({@code GET inbox?case=&from=&service=&since=&until=&overdue=&limit=&after=}),
 * checked: a parameter that is unknown, repeated or malformed is refused with a message that names it.
 * Filters apply to what the person may see of a row: a row whose case is hidden from them (clearance) or
 * that has no case (quarantined, unreadable) does not match a case; one without a service does not match a
 * service. {@code after} is the {@code cursor} of the last row of the page before: the next page holds the
 * rows that come after that row in the listing's order (keyset), whatever was received meanwhile.
 */
record InboxQuery(String caseRef, AuthorityId from, String service, Instant since, Instant until, boolean overdue, Integer limit,
        Key after) {
    static final int MAX_LIMIT = 1000;
    private static final Set<String> NAMES = Set.of("case", "from", "service", "since", "until", "overdue", "limit", "after");

    /** Where a row stands in the listing's order: what is owed first (overdue, urgent, by deadline), then as received. */
    record Key(boolean notOverdue, boolean notUrgent, String deadline, Instant received, String messageId) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::notOverdue).thenComparing(Key::notUrgent)
                .thenComparing(Key::deadline).thenComparing(Key::received).thenComparing(Key::messageId);

        @Override
        public int compareTo(Key o) {
            return ORDER.compare(this, o);
        }

        /** The key of a listed row (as the listing shows it to this person). */
        static Key of(Map<String, Object> row) {
            boolean answered = Boolean.TRUE.equals(row.get("answered"));
            Object by = row.get("respondBy");
            return new Key(!Boolean.TRUE.equals(row.get("overdue")), !"urgent".equals(row.get("urgency")),
                    by == null || answered ? "~" : (String) by, Instant.parse((String) row.get("received")), (String) row.get("messageId"));
        }

        String cursor() {
            String k = (notOverdue ? "1" : "0") + (notUrgent ? "1" : "0") + "\n" + deadline + "\n" + received + "\n" + messageId;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(k.getBytes(StandardCharsets.UTF_8));
        }

        static Key parse(String cursor) throws ProtocolException {
            try {
                String[] p = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\n", -1);
                if (p.length != 4 || !p[0].matches("[01][01]") || !p[1].equals("~") && !p[1].matches("[0-9T:.Z-]{1,40}")) {
                    throw new IllegalArgumentException("not a cursor");
                }
                java.util.UUID.fromString(p[3]);
                return new Key(p[0].charAt(0) == '1', p[0].charAt(1) == '1', p[1], Instant.parse(p[2]), p[3]);
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "after: not a cursor of an inbox listing (give the \"cursor\""
                        + " of the last row of the page before)");
            }
        }
    }

    static final InboxQuery ALL = new InboxQuery(null, null, null, null, null, false, null, null);

    /** The query of a request's parameters (as Netty's QueryStringDecoder decodes them). */
    static InboxQuery of(Map<String, List<String>> parameters) throws ProtocolException {
        for (Map.Entry<String, List<String>> e : parameters.entrySet()) {
            if (!NAMES.contains(e.getKey())) {
                throw refused(e.getKey(), "unknown parameter (known: case, from, service, since, until, overdue, limit, after)");
            }
            if (e.getValue().size() != 1) {
                throw refused(e.getKey(), "give it once");
            }
        }
        String caseRef = one(parameters, "case");
        if (caseRef != null && !caseRef.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")) {
            throw refused("case", "a case reference (letters, digits, . _ / -; up to 64)");
        }
        AuthorityId from = null;
        if (one(parameters, "from") != null) {
            try {
                from = AuthorityId.of(one(parameters, "from"));
            } catch (IllegalArgumentException e) {
                throw refused("from", "an authority id such as IT-DNA");
            }
        }
        String service = one(parameters, "service");
        if (service != null) {
            try {
                service = org.liaison.protocol.model.Service.fromValue(service).value();
            } catch (IllegalArgumentException e) {
                throw refused("service", "not a service of the protocol (such as mla-request)");
            }
        }
        Instant since = instant(parameters, "since");
        Instant until = instant(parameters, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw refused("until", "must be after since");
        }
        String overdue = one(parameters, "overdue");
        if (overdue != null && !overdue.equals("true") && !overdue.equals("false")) {
            throw refused("overdue", "true or false");
        }
        Integer limit = null;
        if (one(parameters, "limit") != null) {
            try {
                limit = Integer.parseInt(one(parameters, "limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw refused("limit", "a number of rows from 1 to " + MAX_LIMIT);
            }
        }
        String after = one(parameters, "after");
        return new InboxQuery(caseRef, from, service, since, until, "true".equals(overdue), limit, after == null ? null : Key.parse(after));
    }

    /** Whether a listed row (as this person sees it) matches the filters. */
    boolean matches(Map<String, Object> row) {
        Instant received = Instant.parse((String) row.get("received"));
        return (caseRef == null || caseRef.equals(row.get("case")))
                && (from == null || from.value().equals(row.get("from")))
                && (service == null || service.equals(row.get("service")))
                && (since == null || !received.isBefore(since))
                && (until == null || received.isBefore(until))
                && (!overdue || Boolean.TRUE.equals(row.get("overdue")));
    }

    private static String one(Map<String, List<String>> parameters, String name) {
        List<String> v = parameters.get(name);
        return v == null ? null : v.get(0);
    }

    /** An instant (2026-12-07T05:00:00Z) or a day (2026-12-07: its start, UTC). */
    private static Instant instant(Map<String, List<String>> parameters, String name) throws ProtocolException {
        String v = one(parameters, name);
        if (v == null) {
            return null;
        }
        try {
            return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw refused(name, "a day (2026-12-07) or an instant in UTC (2026-12-07T05:00:00Z)");
        }
    }

    private static ProtocolException refused(String name, String why) {
        return new ProtocolException(ErrorCode.SCHEMA_INVALID, "inbox listing: " + name + ": " + why);
    }
}
