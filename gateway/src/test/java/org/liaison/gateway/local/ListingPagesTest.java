package org.liaison.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.store.MessageStore;

/**
 * A page of a listing is filled from the store's pages: rows the person may not see as asked are skipped and the
 * next rows read until the page is full (LIMIT n+1 tells whether more follow), never more of the history than that.
 */
class ListingPagesTest {
    /** A store's listing of {@code n} rows, keyed 0..n-1; counts the rows it reads. */
    static final class Rows implements ListingPages.Fetch<Integer> {
        final int n;
        int read;

        Rows(int n) {
            this.n = n;
        }

        @Override
        public List<MessageStore.Listed<Integer>> page(MessageStore.Cursor after, int limit) {
            int from = after == null ? 0 : (int) after.at() + 1;
            List<MessageStore.Listed<Integer>> out = new ArrayList<>();
            for (int i = from; i < n && out.size() < limit; i++) {
                out.add(new MessageStore.Listed<>(i, new MessageStore.Cursor(5, 0, i, new UUID(0, i).toString(), "IT-DNA"), false));
            }
            read += out.size();
            return out;
        }
    }

    private static ListingQuery query(int limit, MessageStore.Cursor after) {
        return new ListingQuery(false, null, null, null, null, null, false, false, limit, after);
    }

    private static Map<String, Object> row(int i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", i);
        m.put("received", Instant.EPOCH.toString());
        return m;
    }

    @Test
    void aPageIsFilledPastHiddenRowsAndSaysWhetherMoreFollow() {
        Rows store = new Rows(10_000);
        // Every third row is hidden from this person (as clearance hides a case): the page is still full.
        ListingPages.Page p = ListingPages.page(query(10, null), store, b -> l -> l.row() % 3 == 0 ? null : row(l.row()));
        assertThat(p.rows()).extracting(r -> r.get("n")).containsExactly(1, 2, 4, 5, 7, 8, 10, 11, 13, 14);
        assertThat(p.next()).isEqualTo(ListingQuery.cursor(new MessageStore.Cursor(5, 0, 14, new UUID(0, 14).toString(), "IT-DNA")));
        assertThat(p.rows().get(9).get("cursor")).isEqualTo(p.next());
        assertThat(store.read).isLessThan(100); // a page's worth, not the history

        // The next page from its cursor; the last page has no next.
        Rows again = new Rows(10_000);
        ListingPages.Page second = ListingPages.page(query(3, new MessageStore.Cursor(5, 0, 14, "x", "IT-DNA")), again,
                b -> l -> row(l.row()));
        assertThat(second.rows()).extracting(r -> r.get("n")).containsExactly(15, 16, 17);
        ListingPages.Page last = ListingPages.page(query(5, null), new Rows(5), b -> l -> row(l.row()));
        assertThat(last.rows()).hasSize(5);
        assertThat(last.next()).isNull();
        assertThat(ListingPages.page(query(5, null), new Rows(6), b -> l -> row(l.row())).next()).isNotNull();
    }

    @Test
    void whatRowsShowBesideTheirColumnsIsReadOncePerBatchNotPerRow() {
        List<Integer> batches = new ArrayList<>();
        ListingPages.Page p = ListingPages.page(query(50, null), new Rows(10_000), b -> {
            batches.add(b.size());
            return l -> row(l.row());
        });
        assertThat(p.rows()).hasSize(50);
        assertThat(batches).containsExactly(51); // one batch of the page and the row that tells whether more follow
    }
}
