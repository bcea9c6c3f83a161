package org.liaison.protocol.tlog;

import java.util.ArrayList;
import java.util.List;

/**
 * A growing RFC 9162 tree that keeps the hash of every complete, aligned subtree (about 2n hashes
 * for n leaves, built as leaves arrive). Any subtree hash then costs O(log n), so a root is
 * O(log n) and an inclusion or consistency proof O(log² n) instead of re-hashing every leaf. The
 * proofs are the same as {@link Merkle}'s (which defines them); this is how the log serves them.
 * Not thread-safe.
 */
public final class MerkleTree {
    /** levels.get(h).get(i): the hash of leaves [i·2^h, (i+1)·2^h). */
    private final List<List<byte[]>> levels = new ArrayList<>();
    private final Rfc9162.PerfectSubtrees subtrees = (from, h) -> levels.get(h).get((int) (from >> h));

    public MerkleTree() {
        levels.add(new ArrayList<>());
    }

    public static MerkleTree of(List<byte[]> leafHashes) {
        MerkleTree t = new MerkleTree();
        leafHashes.forEach(t::append);
        return t;
    }

    public void append(byte[] leafHash) {
        levels.get(0).add(leafHash);
        for (int h = 0; levels.get(h).size() % 2 == 0; h++) {
            List<byte[]> level = levels.get(h);
            if (levels.size() == h + 1) {
                levels.add(new ArrayList<>());
            }
            levels.get(h + 1).add(Merkle.nodeHash(level.get(level.size() - 2), level.get(level.size() - 1)));
        }
    }

    public long size() {
        return levels.get(0).size();
    }

    public byte[] leaf(long index) {
        return levels.get(0).get((int) index);
    }

    /** MTH of the first {@code size} leaves. */
    public byte[] root(long size) {
        check(0, size);
        return size == 0 ? Merkle.emptyRoot() : hash(0, size);
    }

    /**
     * MTH of this tree with {@code nextLeafHash} as one more leaf, without appending it (a root to sign
     * for an entry that is not committed yet: nothing changes if it never is).
     */
    public byte[] rootWith(byte[] nextLeafHash) {
        return withNext(0, size() + 1, nextLeafHash);
    }

    /** MTH of leaves [from, to), the last of which ({@code size()}) is {@code next}. */
    private byte[] withNext(long from, long to, byte[] next) {
        if (to - from == 1) {
            return next;
        }
        long k = Merkle.split(to - from);
        return Merkle.nodeHash(hash(from, from + k), withNext(from + k, to, next));
    }

    /** RFC 9162 2.1.3.1: the inclusion proof of leaf {@code index} in the tree of the first {@code size} leaves. */
    public List<byte[]> inclusionProof(long index, long size) {
        check(index, size);
        if (index >= size) {
            throw new IllegalArgumentException("inclusion proof: index " + index + " is not below size " + size);
        }
        return Rfc9162.inclusion(subtrees, index, size);
    }

    /** RFC 9162 2.1.4.1: the consistency proof between the trees of the first {@code first} and {@code second} leaves. */
    public List<byte[]> consistencyProof(long first, long second) {
        check(first, second);
        return Rfc9162.consistency(subtrees, first, second);
    }

    private void check(long low, long size) {
        if (low < 0 || low > size || size > size()) {
            throw new IllegalArgumentException("tree sizes " + low + ", " + size + " (expected 0 <= " + low + " <= " + size + " <= "
                    + size() + ")");
        }
    }

    /** MTH of leaves [from, to). */
    private byte[] hash(long from, long to) {
        return Rfc9162.hash(subtrees, from, to);
    }
}
