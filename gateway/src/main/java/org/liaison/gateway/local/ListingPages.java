package org.liaison.gateway.local;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.liaison.gateway.store.MessageStore;

/**
 * Listings as pages (issue 26): the store reads a page of rows in the listing's order from its columns and
 * indexes (filters, need to know and the keyset in SQL, {@code LIMIT n+1}); each row is shown as the person may
 * see it; a row the SQL could not rule out but the person may not see as asked (a case hidden by clearance, a
 * row whose listing had to be read from its envelope) is skipped and the next rows are read, until the page is
 * full — never the whole history. {@link Page#next} is the cursor of the page's last row when more follow.
 */
final class ListingPages {
    private ListingPages() {}

    /** A page of rows, and the cursor to ask for the next one with (null: this was the last). */
    record Page(List<Map<String, Object>> rows, String next) {}

    /** A row as this person sees it; null when it is not listed to them. */
    interface Render<T> {
        Map<String, Object> row(MessageStore.Listed<T> listed);
    }

    /**
     * How the rows of one batch the store read are shown: what a row shows besides its own columns (its stages, its
     * deliveries) is read for the whole batch at once, not once per row (a page of 50 was 100–150 more reads).
     */
    interface Renderer<T> {
        Render<T> batch(List<MessageStore.Listed<T>> batch);
    }

    /** The store's page after a cursor. */
    interface Fetch<T> {
        List<MessageStore.Listed<T>> page(MessageStore.Cursor after, int limit);
    }

    /** A page of the inbox for this query and viewer. */
    static Page inbox(MessageStore store, ListingQuery q, MessageStore.Viewer viewer, Instant now, Renderer<MessageStore.Received> render) {
        MessageStore.ListingFilter f = q.filter(viewer);
        return page(q, (after, n) -> store.inbox().page(f, now, after, n), render);
    }

    /** A page of the messages sent from here for this query and viewer. */
    static Page sent(MessageStore store, ListingQuery q, MessageStore.Viewer viewer, Instant now, Renderer<MessageStore.Outgoing> render) {
        MessageStore.ListingFilter f = q.filter(viewer);
        return page(q, (after, n) -> store.sent().page(f, now, after, n), render);
    }

    static <T> Page page(ListingQuery q, Fetch<T> fetch, Renderer<T> renderer) {
        List<Map<String, Object>> rows = new ArrayList<>();
        MessageStore.Cursor read = q.after();
        MessageStore.Cursor last = null;
        while (true) {
            int ask = Math.max(16, q.limit() + 1 - rows.size());
            List<MessageStore.Listed<T>> batch = fetch.page(read, ask);
            Render<T> render = renderer.batch(batch);
            for (MessageStore.Listed<T> l : batch) {
                read = l.key();
                Map<String, Object> shown = render.row(l);
                if (shown == null || !q.matches(shown)) {
                    continue;
                }
                if (rows.size() == q.limit()) {
                    return new Page(rows, ListingQuery.cursor(last)); // one more row: there is a next page
                }
                Map<String, Object> row = new LinkedHashMap<>(shown);
                row.put("cursor", ListingQuery.cursor(l.key()));
                rows.add(row);
                last = l.key();
            }
            if (batch.size() < ask) {
                return new Page(rows, null);
            }
        }
    }
}
