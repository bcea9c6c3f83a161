package org.liaison.gateway.store;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.BiFunction;

/**
 * Goes through rows a page at a time: the next page of {@link MessageStore#PAGE} rows (after the last
 * one seen, by key; from the first for null) is read when the loop reaches the end of this one; a page
 * shorter than asked for is the last.
 */
final class Pages<T> implements Iterator<T> {
    private final BiFunction<T, Integer, List<T>> after;
    private List<T> page;
    private int next;
    private boolean last;

    Pages(BiFunction<T, Integer, List<T>> after) {
        this.after = after;
    }

    /** Every row at once, in {@code order} (for tests and tools with a bounded store). */
    static <T> List<T> all(Iterable<T> each, java.util.Comparator<T> order) {
        List<T> out = new java.util.ArrayList<>();
        each.forEach(out::add);
        out.sort(order);
        return out;
    }

    @Override
    public boolean hasNext() {
        if (page != null && next < page.size()) {
            return true;
        }
        if (last) {
            return false;
        }
        List<T> more = after.apply(page == null ? null : page.get(page.size() - 1), MessageStore.PAGE);
        last = more.size() < MessageStore.PAGE;
        if (more.isEmpty()) {
            return false;
        }
        page = more;
        next = 0;
        return true;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return page.get(next++);
    }
}
