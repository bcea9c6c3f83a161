package org.liaison.protocol.tlog;

import java.util.Arrays;

/**
 * One tile and the tree of height 8 above its hashes: node(r, j) is the hash of hashes
 * [j·2^r, (j+1)·2^r) of the tile, filled in as hashes are added (511 hashes when full).
 */
final class Tile {
    /** Offsets (in hashes) of each height's first node. */
    private static final int[] AT = new int[TilePath.HEIGHT + 1];

    static {
        for (int r = 1; r <= TilePath.HEIGHT; r++) {
            AT[r] = AT[r - 1] + (TilePath.WIDTH >> (r - 1));
        }
    }

    private static final int H = Merkle.HASH_SIZE;
    private final byte[] nodes = new byte[(2 * TilePath.WIDTH - 1) * H];
    private int width;

    int width() {
        return width;
    }

    boolean full() {
        return width == TilePath.WIDTH;
    }

    void add(byte[] hash, int off) {
        if (full()) {
            throw new IllegalStateException("tile is full");
        }
        System.arraycopy(hash, off, nodes, width * H, H);
        int j = width;
        width++;
        for (int r = 1; r <= TilePath.HEIGHT && (j & 1) == 1; r++) {
            j >>= 1;
            byte[] h = Merkle.nodeHash(node(r - 1, 2 * j), node(r - 1, 2 * j + 1));
            System.arraycopy(h, 0, nodes, (AT[r] + j) * H, H);
        }
    }

    /** Hash of the tile's hashes [j·2^r, (j+1)·2^r); they must all be there. */
    byte[] node(int r, long j) {
        if (((j + 1) << r) > width) {
            throw new IllegalArgumentException("tile node (" + r + ", " + j + ") beyond width " + width);
        }
        int at = (AT[r] + (int) j) * H;
        return Arrays.copyOfRange(nodes, at, at + H);
    }

    /** The root of a full tile: the hash one level up. */
    byte[] root() {
        return node(TilePath.HEIGHT, 0);
    }

    /** The first {@code w} hashes, as served ({@code w·32} bytes). */
    byte[] hashes(int w) {
        if (w > width) {
            throw new IllegalArgumentException("tile of width " + width + " has no " + w + " hashes");
        }
        return Arrays.copyOf(nodes, w * H);
    }

    static Tile of(byte[] hashes) {
        if (hashes.length % H != 0 || hashes.length > TilePath.FULL_BYTES) {
            throw new IllegalArgumentException("a tile of " + hashes.length + " bytes (expected a multiple of 32, at most 8192)");
        }
        Tile t = new Tile();
        for (int off = 0; off < hashes.length; off += H) {
            t.add(hashes, off);
        }
        return t;
    }
}
