package org.liaison.protocol.tlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An RFC 9162 tree kept as C2SP tlog-tiles: the right edge (the one partial tile of each level, at
 * most 255 hashes each) in memory, every full tile in a {@link TileStore}, read on demand through a
 * bounded LRU cache. Roots at any size, inclusion and consistency proofs are computed from tiles and
 * are the same as {@link Merkle}'s (which defines them) and {@link MerkleTree}'s. Memory is O(levels +
 * cache), whatever the size.
 *
 * <p>A full tile completed by {@link #append} waits in memory ({@link #pending}) until its owner has
 * stored it durably and calls {@link #taken}. A tile read from the store is checked against the
 * hash above it (in the tile of the next level, up to the edge), so a changed or damaged tile file
 * is reported ({@link UncheckedIOException}), never used. Not thread-safe.
 */
public final class TiledTree {
    private static final int H = Merkle.HASH_SIZE;
    private final TileStore store;
    private final int cacheTiles;
    private final Map<TilePath.Tile, Tile> cache;
    private final Map<TilePath.Tile, Tile> pending = new LinkedHashMap<>();
    /** edge.get(L): the partial tile of level L (width (size / 256^L) mod 256). */
    private final List<Tile> edge = new ArrayList<>();
    private final Rfc9162.PerfectSubtrees subtrees = this::subtree;
    private long size;

    public TiledTree(TileStore store, int cacheTiles) {
        this.store = store;
        this.cacheTiles = Math.max(1, cacheTiles);
        this.cache = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<TilePath.Tile, Tile> eldest) {
                return size() > TiledTree.this.cacheTiles;
            }
        };
    }

    /**
     * The tree of {@code size} leaves whose right edge is {@code partials} (partials.get(L): the
     * partial tile of level L, (size / 256^L) mod 256 hashes; one per level while size / 256^L > 0),
     * and whose full tiles are in {@code store}.
     */
    public static TiledTree fromEdge(long size, List<byte[]> partials, TileStore store, int cacheTiles) {
        List<Integer> widths = widths(size);
        if (partials.size() != widths.size()) {
            throw new IllegalArgumentException("a tree of size " + size + " has " + widths.size() + " edge levels, not " + partials.size());
        }
        TiledTree t = new TiledTree(store, cacheTiles);
        for (int level = 0; level < widths.size(); level++) {
            byte[] p = partials.get(level);
            if (p.length != widths.get(level) * H) {
                throw new IllegalArgumentException("the edge tile of level " + level + " of a tree of size " + size + " has "
                        + p.length + " bytes (expected " + widths.get(level) * H + ")");
            }
            t.edge.add(Tile.of(p));
        }
        t.size = size;
        return t;
    }

    /** The widths of the partial tiles of a tree of {@code size}, level 0 up, while size / 256^L > 0. */
    static List<Integer> widths(long size) {
        List<Integer> out = new ArrayList<>();
        for (int level = 0; level * TilePath.HEIGHT < 64 && (size >>> (level * TilePath.HEIGHT)) > 0; level++) {
            out.add((int) ((size >>> (level * TilePath.HEIGHT)) & 0xff));
        }
        return out;
    }

    public long size() {
        return size;
    }

    public void append(byte[] leafHash) {
        if (leafHash.length != H) {
            throw new IllegalArgumentException("a leaf hash of " + leafHash.length + " bytes");
        }
        byte[] h = leafHash;
        for (int level = 0; ; level++) {
            if (edge.size() == level) {
                edge.add(new Tile());
            }
            Tile t = edge.get(level);
            t.add(h, 0);
            if (!t.full()) {
                break;
            }
            TilePath.Tile id = new TilePath.Tile(level, fullTiles(level), TilePath.WIDTH);
            pending.put(id, t);
            cache.put(id, t);
            edge.set(level, new Tile());
            h = t.root();
        }
        size++;
    }

    /** Full tiles at {@code level}. */
    private long fullTiles(int level) {
        int shift = (level + 1) * TilePath.HEIGHT;
        return shift >= 64 ? 0 : size >>> shift;
    }

    /** Hashes at {@code level} (each of 256^level leaves). */
    private long hashesAt(int level) {
        int shift = level * TilePath.HEIGHT;
        return shift >= 64 ? 0 : size >>> shift;
    }

    /** The full tiles completed and not yet {@link #taken}, oldest first: (tile, its 8192 bytes). */
    public Map<TilePath.Tile, byte[]> pending() {
        Map<TilePath.Tile, byte[]> out = new LinkedHashMap<>();
        pending.forEach((id, t) -> out.put(id, t.hashes(TilePath.WIDTH)));
        return out;
    }

    public int pendingCount() {
        return pending.size();
    }

    /** The owner stored these tiles (durably): they are read from the store from now on. */
    public void taken(Collection<TilePath.Tile> tiles) {
        tiles.forEach(pending::remove);
    }

    /** The partial tiles of the tree at {@code at} (≤ size): what {@link #fromEdge} takes. */
    public List<byte[]> edgeAt(long at) {
        check(0, at);
        List<byte[]> out = new ArrayList<>();
        List<Integer> widths = widths(at);
        for (int level = 0; level < widths.size(); level++) {
            int w = widths.get(level);
            long index = (at >>> (level * TilePath.HEIGHT)) >>> TilePath.HEIGHT;
            out.add(w == 0 ? new byte[0] : tileAt(level, index).hashes(w));
        }
        return out;
    }

    /**
     * The hash tile {@code level}/{@code index} as C2SP tlog-tiles serves it: its first {@code width}
     * hashes (256: the full tile); the tree must be big enough to have them.
     */
    public byte[] tile(int level, long index, int width) {
        new TilePath.Tile(level, index, width); // checks the ranges
        if (hashesAt(level) < index * TilePath.WIDTH + width) {
            throw new IllegalArgumentException("tile " + TilePath.tile(level, index, width) + " is beyond a tree of size " + size);
        }
        return tileAt(level, index).hashes(width);
    }

    /** The tile {@code index} of {@code level}: a full one (pending, cached or read), or the edge. */
    private Tile tileAt(int level, long index) {
        if (index < fullTiles(level)) {
            return load(level, index);
        }
        if (index == fullTiles(level) && level < edge.size()) {
            return edge.get(level);
        }
        throw new IllegalArgumentException("tile " + level + "/" + index + " is beyond a tree of size " + size);
    }

    private Tile load(int level, long index) {
        TilePath.Tile id = new TilePath.Tile(level, index, TilePath.WIDTH);
        Tile t = pending.get(id);
        if (t == null) {
            t = cache.get(id);
        }
        if (t != null) {
            return t;
        }
        byte[] bytes;
        try {
            bytes = store.read(level, index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tile " + id.path() + ": " + e.getMessage(), e);
        }
        if (bytes == null || bytes.length != TilePath.FULL_BYTES) {
            throw new UncheckedIOException(new IOException("tile " + id.path() + (bytes == null ? " is missing" : " has " + bytes.length
                    + " bytes, not " + TilePath.FULL_BYTES)));
        }
        t = Tile.of(bytes);
        byte[] above = tileAt(level + 1, index >>> TilePath.HEIGHT).node(0, index & 0xff);
        if (!MessageDigest.isEqual(t.root(), above)) {
            throw new UncheckedIOException(new IOException("tile " + id.path() + " does not match the hash above it: it was changed or"
                    + " damaged"));
        }
        cache.put(id, t);
        return t;
    }

    /** The hash of the aligned subtree of 2^height leaves from {@code from}. */
    private byte[] subtree(long from, int height) {
        int level = height / TilePath.HEIGHT;
        int r = height % TilePath.HEIGHT;
        long pos = from >>> (level * TilePath.HEIGHT);
        return tileAt(level, pos >>> TilePath.HEIGHT).node(r, (pos & 0xff) >>> r);
    }

    public byte[] leafHash(long index) {
        check(index, size);
        if (index >= size) {
            throw new IllegalArgumentException("leaf " + index + " is beyond a tree of size " + size);
        }
        return subtree(index, 0);
    }

    /** MTH of the first {@code at} leaves. */
    public byte[] root(long at) {
        check(0, at);
        return at == 0 ? Merkle.emptyRoot() : hash(0, at);
    }

    /** MTH of the tree with one more leaf, {@code nextLeafHash}, without adding it (as {@link MerkleTree#rootWith}). */
    public byte[] rootWith(byte[] nextLeafHash) {
        if (nextLeafHash.length != H) {
            throw new IllegalArgumentException("a leaf hash of " + nextLeafHash.length + " bytes");
        }
        return withNext(0, size + 1, nextLeafHash);
    }

    /** MTH of leaves [from, to), the last of which (index {@code size}) is {@code next}. */
    private byte[] withNext(long from, long to, byte[] next) {
        if (to - from == 1) {
            return next;
        }
        long k = Merkle.split(to - from);
        return Merkle.nodeHash(hash(from, from + k), withNext(from + k, to, next));
    }

    /** RFC 9162 2.1.3.1: the inclusion proof of leaf {@code index} in the tree of the first {@code at} leaves. */
    public List<byte[]> inclusionProof(long index, long at) {
        check(index, at);
        if (index >= at) {
            throw new IllegalArgumentException("inclusion proof: index " + index + " is not below size " + at);
        }
        return Rfc9162.inclusion(subtrees, index, at);
    }

    /** RFC 9162 2.1.4.1: the consistency proof between the trees of the first {@code first} and {@code second} leaves. */
    public List<byte[]> consistencyProof(long first, long second) {
        check(first, second);
        return Rfc9162.consistency(subtrees, first, second);
    }

    private void check(long low, long at) {
        if (low < 0 || low > at || at > size) {
            throw new IllegalArgumentException("tree sizes " + low + ", " + at + " (expected 0 <= " + low + " <= " + at + " <= " + size + ")");
        }
    }

    /** MTH of leaves [from, to). */
    private byte[] hash(long from, long to) {
        return Rfc9162.hash(subtrees, from, to);
    }
}
