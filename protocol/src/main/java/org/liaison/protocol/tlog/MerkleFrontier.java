package org.liaison.protocol.tlog;

import java.util.ArrayList;
import java.util.List;

/**
 * The root of a growing RFC 9162 tree in O(log n) memory and work per leaf: the roots of the
 * perfect subtrees the tree splits into (largest first), merged as leaves arrive. The log uses it
 * so that signing a checkpoint does not re-hash every entry.
 */
public final class MerkleFrontier {
    private final List<byte[]> subtrees = new ArrayList<>();
    private long size;

    public void append(byte[] leafHash) {
        byte[] h = leafHash;
        for (long s = size; (s & 1) == 1; s >>>= 1) {
            h = Merkle.nodeHash(subtrees.remove(subtrees.size() - 1), h);
        }
        subtrees.add(h);
        size++;
    }

    public long size() {
        return size;
    }

    /** MTH of the leaves appended so far; equals {@link Merkle#root} over them. */
    public byte[] root() {
        if (subtrees.isEmpty()) {
            return Merkle.emptyRoot();
        }
        byte[] r = subtrees.get(subtrees.size() - 1);
        for (int i = subtrees.size() - 2; i >= 0; i--) {
            r = Merkle.nodeHash(subtrees.get(i), r);
        }
        return r;
    }
}
