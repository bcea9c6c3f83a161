package org.liaison.gateway.local;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Service;

/**
 * What an investigator asks of a listing, checked: {@code GET inbox?case=&from=&service=&since=&until=&overdue=&unanswered=&limit=&after=}
 * (received) or {@code GET messages?case=&to=&…} (sent). A parameter that is unknown, repeated or malformed is
 * refused with a message that names it. Filters apply to what the person may see of a row: a row whose case is
 * hidden from them (clearance) or that has no case (quarantined, unreadable) does not match a case; one without
 * a service does not match a service. A listing is a page of {@code limit} rows ({@value #DEFAULT_LIMIT} unless
 * given, at most {@value #MAX_LIMIT}); {@code after} is the cursor the page before ended with (keyset: the next page
 * holds the rows that come after that row in the listing's order, whatever arrived meanwhile).
 */
record ListingQuery(boolean sent, String caseRef, AuthorityId party, String service, Instant since, Instant until, boolean overdue,
        boolean unanswered, int limit, MessageStore.Cursor after) {
    static final int MAX_LIMIT = 1000;
    static final int DEFAULT_LIMIT = 100;

    /** The query of an inbox listing's parameters (as Netty's QueryStringDecoder decodes them). */
    static ListingQuery inbox(Map<String, List<String>> parameters) throws ProtocolException {
        return of(parameters, false);
    }

    /** The query of a listing of sent messages. */
    static ListingQuery sent(Map<String, List<String>> parameters) throws ProtocolException {
        return of(parameters, true);
    }

    private static ListingQuery of(Map<String, List<String>> parameters, boolean sent) throws ProtocolException {
        String partyName = sent ? "to" : "from";
        Set<String> names = Set.of("case", partyName, "service", "since", "until", "overdue", "unanswered", "limit", "after");
        String what = sent ? "listing of sent messages" : "inbox listing";
        for (Map.Entry<String, List<String>> e : parameters.entrySet()) {
            if (!names.contains(e.getKey())) {
                throw refused(what, e.getKey(), "unknown parameter (known: case, " + partyName
                        + ", service, since, until, overdue, unanswered, limit, after)");
            }
            if (e.getValue().size() != 1) {
                throw refused(what, e.getKey(), "give it once");
            }
        }
        String caseRef = one(parameters, "case");
        if (caseRef != null && !caseRef.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")) {
            throw refused(what, "case", "a case reference (letters, digits, . _ / -; up to 64)");
        }
        AuthorityId party = null;
        if (one(parameters, partyName) != null) {
            try {
                party = AuthorityId.of(one(parameters, partyName));
            } catch (IllegalArgumentException e) {
                throw refused(what, partyName, "an authority id such as IT-DNA");
            }
        }
        String service = one(parameters, "service");
        if (service != null) {
            try {
                service = Service.fromValue(service).value();
            } catch (IllegalArgumentException e) {
                throw refused(what, "service", "not a service of the protocol (such as mla-request)");
            }
        }
        Instant since = instant(what, parameters, "since");
        Instant until = instant(what, parameters, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw refused(what, "until", "must be after since");
        }
        boolean overdue = flag(what, parameters, "overdue");
        boolean unanswered = flag(what, parameters, "unanswered");
        int limit = DEFAULT_LIMIT;
        if (one(parameters, "limit") != null) {
            try {
                limit = Integer.parseInt(one(parameters, "limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw refused(what, "limit", "a number of rows from 1 to " + MAX_LIMIT);
            }
        }
        String after = one(parameters, "after");
        return new ListingQuery(sent, caseRef, party, service, since, until, overdue, unanswered, limit,
                after == null ? null : parse(what, after, sent));
    }

    /** The store's filter of this query, for this viewer. */
    MessageStore.ListingFilter filter(MessageStore.Viewer viewer) {
        return new MessageStore.ListingFilter(caseRef, party == null ? null : party.value(), service, since, until, overdue, unanswered,
                viewer);
    }

    /** Whether a listed row (as this person sees it) matches the filters (rows hidden by clearance lose their case). */
    boolean matches(Map<String, Object> row) {
        Instant at = Instant.parse((String) row.get(sent ? "created" : "received"));
        return (caseRef == null || caseRef.equals(row.get("case")))
                && (service == null || service.equals(row.get("service")))
                && (since == null || !at.isBefore(since))
                && (until == null || at.isBefore(until))
                && (sent || party == null || party.value().equals(row.get("from")))
                && (!overdue || Boolean.TRUE.equals(row.get("overdue")));
    }

    /** A row's place as the API gives it: opaque (URL-safe base64 of its segment, date, time, id and sender). */
    static String cursor(MessageStore.Cursor c) {
        String k = "1\n" + c.segment() + "\n" + c.owed() + "\n" + c.at() + "\n" + c.messageId() + "\n" + c.sender();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(k.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageStore.Cursor parse(String what, String cursor, boolean sent) throws ProtocolException {
        try {
            String[] p = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\n", -1);
            if (p.length != 6 || !p[0].equals("1") || !p[1].matches("[0-5]") || sent && !p[1].equals("0")) {
                throw new IllegalArgumentException("not a cursor");
            }
            java.util.UUID.fromString(p[4]);
            if (!p[5].isEmpty()) {
                AuthorityId.of(p[5]);
            }
            return new MessageStore.Cursor(Integer.parseInt(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), p[4], p[5]);
        } catch (IllegalArgumentException e) {
            throw refused(what, "after", "not a cursor of this listing (give the \"cursor\" of the last row of the page before)");
        }
    }

    private static String one(Map<String, List<String>> parameters, String name) {
        List<String> v = parameters.get(name);
        return v == null ? null : v.get(0);
    }

    private static boolean flag(String what, Map<String, List<String>> parameters, String name) throws ProtocolException {
        String v = one(parameters, name);
        if (v != null && !v.equals("true") && !v.equals("false")) {
            throw refused(what, name, "true or false");
        }
        return "true".equals(v);
    }

    /** An instant (2026-12-07T05:00:00Z) or a day (2026-12-07: its start, UTC). */
    private static Instant instant(String what, Map<String, List<String>> parameters, String name) throws ProtocolException {
        String v = one(parameters, name);
        if (v == null) {
            return null;
        }
        try {
            return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw refused(what, name, "a day (2026-12-07) or an instant in UTC (2026-12-07T05:00:00Z)");
        }
    }

    private static ProtocolException refused(String what, String name, String why) {
        return new ProtocolException(ErrorCode.SCHEMA_INVALID, what + ": " + name + ": " + why);
    }
}
