package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;

/**
 * Listings as pages, deadlines and retention from columns (issue 26, items 5-6), on each store: every page is
 * read in the listing's documented order with the filters and the need-to-know rules in SQL, pages never repeat
 * or skip a row, and the rows a listing may not show are never returned. The expected listings are computed here,
 * from the rows as stored, independently of the store's SQL.
 */
abstract class HistoryContract {
    static final AuthorityId IT = AuthorityId.of("IT-DNA");
    static final AuthorityId US = AuthorityId.of("US-OIA");
    static final AuthorityId FR = AuthorityId.of("FR-MJ");
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    static final MessageStore.Viewer OPERATOR = new MessageStore.Viewer(true, "SHA256:op", Set.of(), true);

    @TempDir
    Path dir;

    abstract MessageStore open() throws Exception;

    /** A received row as the test knows it. */
    record Row(MessageStore.Received r, boolean answered, boolean quarantined) {
        Instant owed() {
            return answered || quarantined ? null : r.listing().respondBy();
        }

        boolean urgent() {
            return !quarantined && "urgent".equals(r.listing().urgency());
        }

        boolean overdue() {
            return owed() != null && owed().isBefore(NOW);
        }
    }

    /** The documented order: overdue first, then urgent, then with a date ahead (by date), the rest newest first. */
    static final Comparator<Row> ORDER = Comparator.<Row, Integer>comparing(x -> x.overdue() ? 0 : 1)
            .thenComparing(x -> x.urgent() ? 0 : 1)
            .thenComparing(x -> x.owed() == null ? 1 : 0)
            .thenComparing(x -> x.owed() == null ? 0L : x.owed().toEpochMilli())
            .thenComparing(x -> -x.r().receivedAt().toEpochMilli())
            .thenComparing(x -> x.r().messageId().toString(), Comparator.reverseOrder());

    private MessageStore.Received received(AuthorityId from, String caseRef, String service, Instant at, Instant respondBy, String urgency,
            UUID inReplyTo) {
        UUID id = UUID.randomUUID();
        return new MessageStore.Received(from, id, at, new byte[] {1}, "00", new byte[] {2}, dir.resolve("b/" + id), null, caseRef,
                new MessageStore.Listing(service, "official", List.of(), 1, 10, respondBy, urgency, UUID.randomUUID(), inReplyTo));
    }

    private UUID sent(MessageStore s, String submitter, String caseRef, Instant at, Instant respondBy, UUID inReplyTo, AuthorityId... to) {
        UUID id = UUID.randomUUID();
        s.sent().storeOutgoing(new MessageStore.Outgoing(id, at, at.plus(Duration.ofDays(30)), new byte[] {1}, null, dir.resolve("o/" + id), "p",
                "e", submitter, respondBy, caseRef, new MessageStore.Sealed("mla-request", List.of(to).toString(), UUID.randomUUID(),
                        inReplyTo)), List.of(to), at);
        return id;
    }

    /** 40 received rows over cases, senders, services, dates, deadlines and urgency; some answered, one set aside, one deleted. */
    private List<Row> inbox(MessageStore s) {
        List<Row> rows = new ArrayList<>();
        AuthorityId[] from = {IT, US, FR};
        for (int i = 0; i < 40; i++) {
            Instant respondBy = i % 5 == 0 ? NOW.minus(Duration.ofDays(i + 1)) : i % 5 == 1 ? NOW.plus(Duration.ofDays(i)) : null;
            MessageStore.Received r = received(from[i % 3], "OP-" + i % 4, i % 2 == 0 ? "mla-request" : "consular-notification",
                    NOW.minus(Duration.ofDays(i)).minusMillis(i), respondBy, i % 7 == 0 ? "urgent" : "normal", null);
            assertThat(s.inbox().storeReceived(r)).isEqualTo(MessageStore.Stored.STORED);
            boolean answered = i % 10 == 0 || i == 11;
            if (answered) { // a reply sealed here settles it
                sent(s, "SHA256:someone", "OP-" + i % 4, NOW.minus(Duration.ofHours(1)), null, r.messageId(), r.sender());
            }
            rows.add(new Row(r, answered, false));
        }
        assertThat(s.inbox().quarantine(rows.get(3).r().messageId(), "incident")).isTrue();
        rows.set(3, new Row(rows.get(3).r(), false, true));
        assertThat(s.inbox().delete(rows.get(4).r().sender(), rows.get(4).r().messageId(), NOW)).isTrue();
        rows.remove(4);
        return rows;
    }

    private static List<UUID> expected(List<Row> rows, Predicate<Row> filter) {
        return rows.stream().filter(filter).sorted(ORDER).map(x -> x.r().messageId()).toList();
    }

    /** Every page of a listing, {@code limit} rows at a time, each page after the last row of the one before. */
    private static List<UUID> pages(MessageStore s, MessageStore.ListingFilter f, int limit, boolean inbox) {
        List<UUID> out = new ArrayList<>();
        MessageStore.Cursor after = null;
        while (true) {
            List<? extends MessageStore.Listed<?>> page = inbox ? s.inbox().page(f, NOW, after, limit) : s.sent().page(f, NOW, after, limit);
            for (MessageStore.Listed<?> l : page) {
                out.add(l.row() instanceof MessageStore.Received r ? r.messageId() : ((MessageStore.Outgoing) l.row()).messageId());
                after = l.key();
            }
            if (page.size() < limit) {
                return out;
            }
        }
    }

    private static MessageStore.ListingFilter filter(String caseRef, String party, String service, Instant since, Instant until,
            boolean overdue, boolean unanswered, MessageStore.Viewer viewer) {
        return new MessageStore.ListingFilter(caseRef, party, service, since, until, overdue, unanswered, viewer);
    }

    @Test
    void theInboxIsReadAPageAtATimeInItsOrderWithEachFilterInTheStore() throws Exception {
        try (MessageStore s = open()) {
            List<Row> rows = inbox(s);
            List<UUID> all = expected(rows, x -> true);
            assertThat(pages(s, filter(null, null, null, null, null, false, false, OPERATOR), 1000, true)).isEqualTo(all);
            for (int limit : new int[] {1, 4, 7}) {
                assertThat(pages(s, filter(null, null, null, null, null, false, false, OPERATOR), limit, true)).as("pages of " + limit)
                        .isEqualTo(all);
            }
            assertThat(all).hasSize(39);
            // Envelopes are not read by a listing.
            assertThat(s.inbox().page(filter(null, null, null, null, null, false, false, OPERATOR), NOW, null, 5))
                    .allSatisfy(l -> assertThat(l.row().envelope()).isNull());

            Instant since = NOW.minus(Duration.ofDays(20));
            Instant until = NOW.minus(Duration.ofDays(5));
            Map<MessageStore.ListingFilter, Predicate<Row>> cases = Map.of(
                    filter("OP-1", null, null, null, null, false, false, OPERATOR), x -> "OP-1".equals(x.r().caseRef()),
                    filter(null, "US-OIA", null, null, null, false, false, OPERATOR), x -> x.r().sender().equals(US),
                    filter(null, null, "consular-notification", null, null, false, false, OPERATOR),
                    x -> x.r().listing().service().equals("consular-notification"),
                    filter(null, null, null, since, until, false, false, OPERATOR),
                    x -> !x.r().receivedAt().isBefore(since) && x.r().receivedAt().isBefore(until),
                    filter(null, null, null, null, null, true, false, OPERATOR), Row::overdue,
                    filter(null, null, null, null, null, false, true, OPERATOR), x -> !x.answered(),
                    filter("OP-2", "IT-DNA", "mla-request", null, null, true, false, OPERATOR),
                    x -> "OP-2".equals(x.r().caseRef()) && x.r().sender().equals(IT) && x.overdue()
                            && x.r().listing().service().equals("mla-request"));
            for (Map.Entry<MessageStore.ListingFilter, Predicate<Row>> e : cases.entrySet()) {
                List<UUID> want = expected(rows, e.getValue());
                assertThat(pages(s, e.getKey(), 3, true)).as(e.getKey().toString()).isEqualTo(want);
            }
            assertThat(expected(rows, Row::overdue)).isNotEmpty();

            // Deadlines from the same columns.
            assertThat(s.inbox().overdue(NOW)).isEqualTo(rows.stream().filter(Row::overdue).count());
            assertThat(s.inbox().answered(rows.get(0).r().messageId())).isTrue();
            assertThat(s.inbox().answered(rows.get(1).r().messageId())).isFalse();
        }
    }

    @Test
    void anInvestigatorListsTheirCasesTheRepliesToTheirOwnAndTheOpenIntakeNothingElse() throws Exception {
        try (MessageStore s = open()) {
            String me = "SHA256:" + "a".repeat(64);
            s.cases().assign(new MessageStore.Assignment("OP-1", me, "op", NOW));
            s.cases().assign(new MessageStore.Assignment("OP-2", "SHA256:" + "b".repeat(64), "op", NOW));
            UUID mine = sent(s, me, "OP-9", NOW.minus(Duration.ofDays(2)), null, null, IT);
            UUID theirs = sent(s, "SHA256:other", "OP-2", NOW.minus(Duration.ofDays(2)), null, null, IT);
            MessageStore.Received onMyCase = received(IT, "OP-1", "mla-request", NOW.minus(Duration.ofDays(1)), null, null, null);
            MessageStore.Received onTheirs = received(IT, "OP-2", "mla-request", NOW.minus(Duration.ofDays(1)), null, null, null);
            MessageStore.Received replyToMe = received(IT, "OP-2", "mla-request", NOW.minus(Duration.ofHours(3)), null, null, mine);
            MessageStore.Received replyToThem = received(IT, "OP-2", "mla-request", NOW.minus(Duration.ofHours(2)), null, null, theirs);
            MessageStore.Received intake = received(US, "OP-7", "mla-request", NOW.minus(Duration.ofHours(5)), null, null, null);
            MessageStore.Received setAside = received(US, "OP-2", "mla-request", NOW.minus(Duration.ofHours(6)), null, null, null);
            for (MessageStore.Received r : List.of(onMyCase, onTheirs, replyToMe, replyToThem, intake, setAside)) {
                s.inbox().storeReceived(r);
            }
            s.inbox().quarantine(setAside.messageId(), "incident");

            MessageStore.ListingFilter open = filter(null, null, null, null, null, false, false,
                    new MessageStore.Viewer(false, me, Set.of("OP-1"), true));
            assertThat(new HashSet<>(pages(s, open, 2, true))).containsExactlyInAnyOrder(onMyCase.messageId(), replyToMe.messageId(),
                    intake.messageId(), setAside.messageId());
            MessageStore.ListingFilter assigned = filter(null, null, null, null, null, false, false,
                    new MessageStore.Viewer(false, me, Set.of("OP-1"), false));
            assertThat(new HashSet<>(pages(s, assigned, 2, true))).containsExactlyInAnyOrder(onMyCase.messageId(), replyToMe.messageId(),
                    setAside.messageId());
            assertThat(pages(s, filter(null, null, null, null, null, false, false, OPERATOR), 2, true)).hasSize(6);

            // Sent: their own, and their cases'.
            UUID onCase = sent(s, "SHA256:other", "OP-1", NOW.minus(Duration.ofDays(1)), null, null, US);
            assertThat(pages(s, open, 1, false)).containsExactly(onCase, mine);
            assertThat(pages(s, filter(null, null, null, null, null, false, false, OPERATOR), 1, false)).hasSize(3);
        }
    }

    @Test
    void sentMessagesAreListedNewestFirstByRecipientDeadlineAndAnswer() throws Exception {
        try (MessageStore s = open()) {
            UUID late = sent(s, "SHA256:x", "OP-1", NOW.minus(Duration.ofDays(10)), NOW.minus(Duration.ofDays(1)), null, IT);
            UUID answered = sent(s, "SHA256:x", "OP-1", NOW.minus(Duration.ofDays(9)), NOW.minus(Duration.ofDays(1)), null, US);
            UUID ahead = sent(s, "SHA256:x", "OP-2", NOW.minus(Duration.ofDays(8)), NOW.plus(Duration.ofDays(1)), null, IT, US);
            UUID plain = sent(s, "SHA256:x", "OP-2", NOW.minus(Duration.ofDays(7)), null, null, FR);
            s.inbox().storeReceived(received(US, "OP-1", "mla-request", NOW.minus(Duration.ofDays(2)), null, null, answered));
            MessageStore.ListingFilter all = filter(null, null, null, null, null, false, false, OPERATOR);
            assertThat(pages(s, all, 2, false)).containsExactly(plain, ahead, answered, late);
            assertThat(pages(s, filter(null, "US-OIA", null, null, null, false, false, OPERATOR), 1, false)).containsExactly(ahead, answered);
            assertThat(pages(s, filter(null, null, null, null, null, true, false, OPERATOR), 1, false)).containsExactly(late);
            assertThat(pages(s, filter(null, null, null, null, null, false, true, OPERATOR), 5, false)).containsExactly(plain, ahead, late);
            assertThat(pages(s, filter("OP-2", null, null, NOW.minus(Duration.ofDays(8)), null, false, false, OPERATOR), 5, false))
                    .containsExactly(plain, ahead);
            assertThat(s.sent().answered(answered)).isTrue();
            assertThat(s.sent().answered(late)).isFalse();
            assertThat(s.sent().overdue(NOW)).isEqualTo(1);

            // Each passed deadline is found until it is marked audited, then never again.
            assertThat(s.sent().deadlinesPassed(NOW, 10)).containsExactly(late);
            s.sent().deadlinesAudited(List.of(late), NOW);
            assertThat(s.sent().deadlinesPassed(NOW, 10)).isEmpty();
        }
    }

    @Test
    void retentionReadsOnlyTheRowsOldEnoughAPageAtATime() throws Exception {
        try (MessageStore s = open()) {
            List<UUID> old = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                MessageStore.Received r = received(IT, "OP-1", "mla-request", NOW.minus(Duration.ofDays(100 + i)), null, null, null);
                s.inbox().storeReceived(r);
                old.add(r.messageId());
            }
            s.inbox().storeReceived(received(IT, "OP-1", "mla-request", NOW.minus(Duration.ofDays(10)), null, null, null));
            s.inbox().storeReceived(received(IT, "OP-1", "consular-notification", NOW.minus(Duration.ofDays(200)), null, null, null));
            List<UUID> found = new ArrayList<>();
            MessageStore.Cursor after = null;
            while (true) {
                List<MessageStore.Listed<MessageStore.Received>> page = s.inbox().upTo("mla-request", NOW.minus(Duration.ofDays(50)), after, 3);
                page.forEach(l -> found.add(l.row().messageId()));
                page.forEach(l -> assertThat(l.row().envelope()).isNotNull());
                if (page.size() < 3) {
                    break;
                }
                after = page.get(page.size() - 1).key();
            }
            assertThat(found).containsExactlyInAnyOrderElementsOf(old).doesNotHaveDuplicates();
            assertThat(s.inbox().oldest("consular-notification")).isEqualTo(NOW.minus(Duration.ofDays(200)));
            assertThat(s.inbox().oldest("extradition-request")).isNull();
        }
    }
}
