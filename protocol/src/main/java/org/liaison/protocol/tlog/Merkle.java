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
 * checkpoints) builds on it. A log serves proofs from {@link TiledTree} (C2SP tiles: memory
 * independent of its size); {@link MerkleTree} keeps every subtree hash in memory (the reference the
 * tiles are tested against, and the PostgreSQL shared log's mirror); the functions here take a list
 * of leaf hashes for one-off use.
 */
public final class Merkle {
    public static final int HASH_SIZE = 32;

    private Merkle() {}

    /** One digest per thread: a log rebuilds millions of hashes at start, and getInstance costs more than a hash. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** The thread's SHA-256, reset. */
    private static MessageDigest sha256() {
        MessageDigest d = SHA256.get();
        d.reset();
        return d;
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

    /** MTH over the leaf hashes (RFC 9162 2.1.1). */
    public static byte[] root(List<byte[]> leaves) {
        return MerkleTree.of(leaves).root(leaves.size());
    }

    /** The inclusion proof of leaf {@code index} in the tree of the first {@code size} leaves (RFC 9162 2.1.3.1). */
    public static List<byte[]> inclusionProof(List<byte[]> leaves, long index, long size) {
        return MerkleTree.of(leaves).inclusionProof(index, size);
    }

    /** The consistency proof between the trees of the first {@code first} and {@code second} leaves (RFC 9162 2.1.4.1). */
    public static List<byte[]> consistencyProof(List<byte[]> leaves, long first, long second) {
        return MerkleTree.of(leaves).consistencyProof(first, second);
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
