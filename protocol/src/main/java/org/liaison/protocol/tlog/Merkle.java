package org.liaison.protocol.tlog;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Merkle tree hashing and proofs of RFC 9162 section 2.1 (the same as RFC 6962):
 * leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right), the split at the largest
 * power of two smaller than n, the empty tree's hash SHA-256(""). Inclusion and consistency
 * proofs are generated and verified with the algorithms of sections 2.1.3 and 2.1.4, so that
 * anyone can check them with any implementation of the RFC.
 *
 * <p>This is the hashing core of the tamper-evident audit log; the log itself (storage, signed
 * checkpoints) builds on it.
 */
public final class Merkle {
    public static final int HASH_SIZE = 32;

    private Merkle() {}

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] leafHash(byte[] entry) {
        MessageDigest d = sha256();
        d.update((byte) 0x00);
        return d.digest(entry);
    }

    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest d = sha256();
        d.update((byte) 0x01);
        d.update(left);
        return d.digest(right);
    }

    public static byte[] emptyRoot() {
        return sha256().digest();
    }

    /** The largest power of two smaller than {@code n} (n ≥ 2). */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH over the leaf hashes {@code leaves[from, to)}. */
    public static byte[] root(List<byte[]> leaves) {
        return leaves.isEmpty() ? emptyRoot() : mth(leaves, 0, leaves.size());
    }

    private static byte[] mth(List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 1) {
            return leaves.get(from);
        }
        int k = (int) split(n);
        return nodeHash(mth(leaves, from, from + k), mth(leaves, from + k, to));
    }

    /** The inclusion proof of leaf {@code index} in the tree of the first {@code size} leaves (RFC 9162 2.1.3.1). */
    public static List<byte[]> inclusionProof(List<byte[]> leaves, long index, long size) {
        if (size > leaves.size() || index < 0 || index >= size) {
            throw new IllegalArgumentException("inclusion proof: index " + index + ", size " + size + " (expected 0 <= index < size <= "
                    + leaves.size() + ")");
        }
        List<byte[]> proof = new ArrayList<>();
        path(leaves, (int) index, 0, (int) size, proof);
        return proof;
    }

    private static void path(List<byte[]> leaves, int m, int from, int to, List<byte[]> out) {
        int n = to - from;
        if (n == 1) {
            return;
        }
        int k = (int) split(n);
        if (m < k) {
            path(leaves, m, from, from + k, out);
            out.add(mth(leaves, from + k, to));
        } else {
            path(leaves, m - k, from + k, to, out);
            out.add(mth(leaves, from, from + k));
        }
    }

    /** The consistency proof between the trees of the first {@code first} and {@code second} leaves (RFC 9162 2.1.4.1). */
    public static List<byte[]> consistencyProof(List<byte[]> leaves, long first, long second) {
        if (second > leaves.size() || first < 0 || first > second) {
            throw new IllegalArgumentException("consistency proof: " + first + " -> " + second + " (expected 0 <= first <= second <= "
                    + leaves.size() + ")");
        }
        List<byte[]> proof = new ArrayList<>();
        if (first == 0 || first == second) {
            return proof;
        }
        subproof(leaves, (int) first, 0, (int) second, true, proof);
        return proof;
    }

    private static void subproof(List<byte[]> leaves, int m, int from, int to, boolean b, List<byte[]> out) {
        int n = to - from;
        if (m == n) {
            if (!b) {
                out.add(mth(leaves, from, to));
            }
            return;
        }
        int k = (int) split(n);
        if (m <= k) {
            subproof(leaves, m, from, from + k, b, out);
            out.add(mth(leaves, from + k, to));
        } else {
            subproof(leaves, m - k, from + k, to, false, out);
            out.add(mth(leaves, from, from + k));
        }
    }

    /** RFC 9162 2.1.3.2: whether {@code proof} shows the leaf hash at {@code index} in the tree of {@code size} with {@code root}. */
    public static boolean verifyInclusion(byte[] leafHash, long index, long size, List<byte[]> proof, byte[] root) {
        if (index < 0 || index >= size || !sized(leafHash) || !sized(root) || !proof.stream().allMatch(Merkle::sized)) {
            return false;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** RFC 9162 2.1.4.2: whether {@code proof} shows the tree of {@code second} leaves extends the tree of {@code first}. */
    public static boolean verifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, List<byte[]> proof) {
        if (first < 0 || first > second || !sized(firstRoot) || !sized(secondRoot) || !proof.stream().allMatch(Merkle::sized)) {
            return false;
        }
        if (first == second) {
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
        }
        if (first == 0) {
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, emptyRoot());
        }
        if (proof.isEmpty()) {
            return false;
        }
        List<byte[]> path = new ArrayList<>(proof);
        if (Long.bitCount(first) == 1) {
            path.add(0, firstRoot);
        }
        long fn = first - 1;
        long sn = second - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (byte[] c : path.subList(1, path.size())) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
    }

    private static boolean sized(byte[] h) {
        return h != null && h.length == HASH_SIZE;
    }
}
