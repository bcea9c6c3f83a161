package org.liaison.protocol.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tiled tree against the reference computations ({@link MerkleTree}, itself checked against the
 * RFC's definition and published vectors in {@link MerkleTest}): the same roots, inclusion and
 * consistency proofs at every size up to 5000 (20 level-0 tiles, every 256-boundary) and around the
 * level-1 and level-2 boundaries; the C2SP tlog-tiles spec's path and tile-count examples.
 */
class TiledTreeTest {
    /** A store that holds what the tree handed over (as an owner writing tile files would). */
    static final class MapStore implements TileStore {
        final Map<TilePath.Tile, byte[]> tiles = new HashMap<>();
        int reads;

        @Override
        public byte[] read(int level, long index) {
            reads++;
            byte[] t = tiles.get(new TilePath.Tile(level, index, TilePath.WIDTH));
            return t == null ? null : t.clone();
        }

        void takeFrom(TiledTree tree) {
            Map<TilePath.Tile, byte[]> p = tree.pending();
            tiles.putAll(p);
            tree.taken(p.keySet());
        }
    }

    static byte[] leaf(long i) {
        return Merkle.leafHash(ByteBuffer.allocate(8).putLong(i).array());
    }

    static void assertSameProofs(List<byte[]> a, List<byte[]> b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).isEqualTo(b.get(i));
        }
    }

    @Test
    void rootsAndProofsAreTheReferenceOnesAtEverySizeUpTo5000() {
        MapStore store = new MapStore();
        TiledTree tiled = new TiledTree(store, 2); // a tiny cache: most reads go to the store
        MerkleTree ref = new MerkleTree();
        Random rnd = new Random(7);
        assertThat(tiled.root(0)).isEqualTo(Merkle.emptyRoot());
        for (long n = 1; n <= 5000; n++) {
            byte[] l = leaf(n - 1);
            assertThat(tiled.rootWith(l)).as("root with leaf %d", n - 1).isEqualTo(ref.rootWith(l));
            tiled.append(l);
            ref.append(l);
            if (n % 300 == 0) {
                store.takeFrom(tiled);
            }
            assertThat(tiled.size()).isEqualTo(n);
            assertThat(tiled.root(n)).as("root at %d", n).isEqualTo(ref.root(n));
            boolean boundary = n % 256 <= 1 || n % 256 == 255 || Long.bitCount(n) == 1;
            int samples = boundary ? 12 : 2;
            for (int s = 0; s < samples; s++) {
                long at = 1 + (long) rnd.nextInt((int) n);
                long index = rnd.nextInt((int) at);
                long first = rnd.nextInt((int) at + 1);
                assertThat(tiled.root(at)).isEqualTo(ref.root(at));
                assertSameProofs(tiled.inclusionProof(index, at), ref.inclusionProof(index, at));
                assertSameProofs(tiled.consistencyProof(first, at), ref.consistencyProof(first, at));
                assertThat(Merkle.verifyInclusion(leaf(index), index, at, tiled.inclusionProof(index, at), ref.root(at))).isTrue();
                assertThat(tiled.leafHash(index)).isEqualTo(leaf(index));
            }
        }
        assertThat(store.reads).as("full tiles were read back from the store").isGreaterThan(0);
        // Every proof in a tree of 5000 against every size, for the edge cases: the first and last leaves.
        for (long at = 1; at <= 5000; at += 37) {
            assertSameProofs(tiled.inclusionProof(0, at), ref.inclusionProof(0, at));
            assertSameProofs(tiled.inclusionProof(at - 1, at), ref.inclusionProof(at - 1, at));
            assertSameProofs(tiled.consistencyProof(at, 5000), ref.consistencyProof(at, 5000));
        }
    }

    @Test
    void aTreeReopenedFromItsRightEdgeAndTheStoredTilesIsTheSameTree() {
        MapStore store = new MapStore();
        TiledTree tree = new TiledTree(store, 4);
        MerkleTree ref = new MerkleTree();
        for (long i = 0; i < 70_000; i++) {
            tree.append(leaf(i));
            ref.append(leaf(i));
        }
        store.takeFrom(tree);
        for (long at : new long[] {0, 1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999, 70_000}) {
            TiledTree again = TiledTree.fromEdge(at, tree.edgeAt(at), store, 4);
            assertThat(again.root(at)).as("root at %d", at).isEqualTo(ref.root(at));
            if (at > 0) {
                assertSameProofs(again.inclusionProof(at / 3, at), ref.inclusionProof(at / 3, at));
                assertSameProofs(again.consistencyProof(at / 2, at), ref.consistencyProof(at / 2, at));
            }
            // and it grows on as the original did
            for (long i = at; i < Math.min(at + 300, 70_000); i++) {
                again.append(leaf(i));
            }
            assertThat(again.root(again.size())).isEqualTo(ref.root(again.size()));
        }
        // The root at the current size needs the edge only.
        TiledTree edgeOnly = TiledTree.fromEdge(70_000, tree.edgeAt(70_000), TileStore.NONE, 1);
        assertThat(edgeOnly.root(70_000)).isEqualTo(ref.root(70_000));
        assertThatThrownBy(() -> edgeOnly.root(1000)).isInstanceOf(UncheckedIOException.class).hasMessageContaining("is missing");
    }

    @Test
    void theSpecsExampleTreeOf70000HasItsTiles() {
        TiledTree tree = new TiledTree(TileStore.NONE, 1);
        for (long i = 0; i < 70_000; i++) {
            tree.append(leaf(i));
        }
        // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial level 1 tile
        // of width 17, and one partial level 2 tile of width 1"
        List<byte[]> edge = tree.edgeAt(70_000);
        assertThat(edge).extracting(b -> b.length / 32).containsExactly(112, 17, 1);
        assertThat(tree.pending().keySet()).filteredOn(t -> t.level() == 0).hasSize(273);
        assertThat(tree.pending().keySet()).filteredOn(t -> t.level() == 1).hasSize(1);
        assertThat(tree.tile(0, 272, 256)).hasSize(8192);
        assertThat(tree.tile(0, 273, 112)).hasSize(112 * 32);
        assertThat(tree.tile(1, 0, 256)).hasSize(8192);
        assertThat(tree.tile(1, 1, 17)).hasSize(17 * 32);
        assertThat(tree.tile(2, 0, 1)).isEqualTo(root256(tree.tile(1, 0, 256)));
        assertThatThrownBy(() -> tree.tile(0, 273, 113)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tree.tile(1, 1, 18)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tree.tile(2, 0, 2)).isInstanceOf(IllegalArgumentException.class);
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
        TiledTree t256 = new TiledTree(TileStore.NONE, 1);
        for (long i = 0; i < 256; i++) {
            t256.append(leaf(i));
        }
        assertThat(t256.edgeAt(256)).extracting(b -> b.length / 32).containsExactly(0, 1);
        assertThat(t256.tile(1, 0, 1)).isEqualTo(t256.root(256));
    }

    /** The hash of a full tile's 256 hashes (the hash one level up), by the RFC's definition. */
    static byte[] root256(byte[] tile) {
        List<byte[]> hs = new java.util.ArrayList<>();
        for (int i = 0; i < 256; i++) {
            hs.add(java.util.Arrays.copyOfRange(tile, i * 32, i * 32 + 32));
        }
        return MerkleTest.definition(hs);
    }

    @Test
    void aChangedOrMissingTileInTheStoreIsReportedNotUsed() {
        MapStore store = new MapStore();
        TiledTree tree = new TiledTree(store, 1);
        for (long i = 0; i < 1000; i++) {
            tree.append(leaf(i));
        }
        store.takeFrom(tree);
        byte[] root = tree.root(1000);
        TiledTree reopened = TiledTree.fromEdge(1000, tree.edgeAt(1000), store, 1);
        store.tiles.get(new TilePath.Tile(0, 1, 256))[100] ^= 1;
        assertThat(reopened.root(1000)).isEqualTo(root); // the edge alone
        assertThatThrownBy(() -> reopened.inclusionProof(300, 1000)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("tile/0/001 does not match the hash above it");
        store.tiles.remove(new TilePath.Tile(0, 2, 256));
        assertThatThrownBy(() -> reopened.leafHash(600)).hasMessageContaining("tile/0/002 is missing");
        assertThat(reopened.leafHash(10)).isEqualTo(leaf(10));
    }

    @Test
    void anEdgeOfTheWrongShapeIsRefused() {
        assertThatThrownBy(() -> TiledTree.fromEdge(300, List.of(new byte[44 * 32]), TileStore.NONE, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 edge levels");
        assertThatThrownBy(() -> TiledTree.fromEdge(300, List.of(new byte[43 * 32], new byte[32]), TileStore.NONE, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1408");
    }

    @Test
    void pathsAreWrittenAndParsedAsTheSpecSays() {
        assertThat(TilePath.tile(0, 1234067, 256)).isEqualTo("tile/0/x001/x234/067");
        assertThat(TilePath.tile(0, 0, 256)).isEqualTo("tile/0/000");
        assertThat(TilePath.tile(1, 273, 17)).isEqualTo("tile/1/273.p/17");
        assertThat(TilePath.tile(2, 1000, 1)).isEqualTo("tile/2/x001/000.p/1");
        assertThat(TilePath.entries(1234067, 5)).isEqualTo("tile/entries/x001/x234/067.p/5");
        assertThat(TilePath.tile(63, Long.MAX_VALUE, 256)).isEqualTo("tile/63/x009/x223/x372/x036/x854/x775/807");
        for (String p : List.of("tile/0/x001/x234/067", "tile/1/273.p/17", "tile/entries/x001/x234/067.p/5", "tile/63/000",
                "tile/63/x009/x223/x372/x036/x854/x775/807")) {
            TilePath.Tile t = TilePath.parse(p);
            assertThat(t.path()).isEqualTo(p);
        }
        assertThat(TilePath.parse("tile/0/x001/x234/067")).isEqualTo(new TilePath.Tile(0, 1234067, 256));
        assertThat(TilePath.parse("tile/entries/067.p/5")).isEqualTo(new TilePath.Tile(-1, 67, 5));
        for (String bad : List.of("tile/00/000", "tile/64/000", "tile/0/67", "tile/0/x000/067", "tile/0/001/002", "tile/0/000.p/0",
                "tile/0/000.p/256", "tile/0/000.p/012", "tile/0/x1/000", "tiles/0/000", "tile/0/000/", "tile/0/x010/x000/x000/x000"
                        + "/x000/x000/x000/000", "tile/0/x009/x223/x372/x036/x854/x775/808")) {
            assertThatThrownBy(() -> TilePath.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
