package org.liaison.protocol.tlog;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9162's recursive definitions — the hash of a range of leaves (2.1.1), the inclusion proof (2.1.3.1)
 * and the consistency proof (2.1.4.1) — over any tree that can give the hash of a perfect subtree: the
 * in-memory {@link MerkleTree} and the {@link TiledTree} on disk share them.
 */
final class Rfc9162 {
    /** The hash of the perfect subtree of {@code 2^height} leaves from leaf {@code from} (a multiple of {@code 2^height}). */
    interface PerfectSubtrees {
        byte[] perfect(long from, int height);
    }

    private Rfc9162() {}

    /** MTH of leaves [from, to). */
    static byte[] hash(PerfectSubtrees t, long from, long to) {
        long n = to - from;
        if (Long.bitCount(n) == 1 && from % n == 0) {
            return t.perfect(from, Long.numberOfTrailingZeros(n));
        }
        long k = Merkle.split(n);
        return Merkle.nodeHash(hash(t, from, from + k), hash(t, from + k, to));
    }

    /** The inclusion proof of leaf {@code index} in the tree of the first {@code size} leaves (index below size). */
    static List<byte[]> inclusion(PerfectSubtrees t, long index, long size) {
        List<byte[]> proof = new ArrayList<>();
        path(t, index, 0, size, proof);
        return proof;
    }

    /** The consistency proof between the trees of the first {@code first} and {@code second} leaves. */
    static List<byte[]> consistency(PerfectSubtrees t, long first, long second) {
        List<byte[]> proof = new ArrayList<>();
        if (first > 0 && first < second) {
            subproof(t, first, 0, second, true, proof);
        }
        return proof;
    }

    private static void path(PerfectSubtrees t, long m, long from, long to, List<byte[]> out) {
        long n = to - from;
        if (n == 1) {
            return;
        }
        long k = Merkle.split(n);
        if (m < k) {
            path(t, m, from, from + k, out);
            out.add(hash(t, from + k, to));
        } else {
            path(t, m - k, from + k, to, out);
            out.add(hash(t, from, from + k));
        }
    }

    private static void subproof(PerfectSubtrees t, long m, long from, long to, boolean whole, List<byte[]> out) {
        long n = to - from;
        if (m == n) {
            if (!whole) {
                out.add(hash(t, from, to));
            }
            return;
        }
        long k = Merkle.split(n);
        if (m <= k) {
            subproof(t, m, from, from + k, whole, out);
            out.add(hash(t, from + k, to));
        } else {
            subproof(t, m - k, from + k, to, false, out);
            out.add(hash(t, from, from + k));
        }
    }
}
