package org.liaison.gateway.store;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Goes through rows a page at a time: the next page (rows after the last one seen, by key) is read
 * when the loop reaches the end of this one; a page shorter than asked for is the last.
 */
final class Pages<T> implements Iterator<T> {
    private final Function<T, List<T>> after;
    private List<T> page;
    private int next;
    private boolean last;

    Pages(Function<T, List<T>> after) {
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
        List<T> more = after.apply(page == null ? null : page.get(page.size() - 1));
        last = more.size() < MessageStore.PAGE;
        if (more.isEmpty()) {
            last = true;
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
