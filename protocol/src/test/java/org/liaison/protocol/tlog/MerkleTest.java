package org.liaison.protocol.tlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Test vectors are the RFC 6962 reference tree of Certificate Transparency, as published in
 * transparency-dev/merkle (testonly/constants.go and proof/verify_test.go): eight leaves, the root
 * for every size 0–8, and inclusion and consistency proofs in the size-8 tree.
 */
class MerkleTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String[] ENTRIES = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"};
    private static final String[] ROOTS = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

    /** MTH exactly as RFC 9162 2.1.1 writes it, independent of the code under test. */
    static byte[] definition(List<byte[]> leafHashes) {
        if (leafHashes.isEmpty()) {
            return Merkle.emptyRoot();
        }
        if (leafHashes.size() == 1) {
            return leafHashes.get(0);
        }
        int k = Integer.highestOneBit(leafHashes.size() - 1);
        return Merkle.nodeHash(definition(leafHashes.subList(0, k)), definition(leafHashes.subList(k, leafHashes.size())));
    }

    static List<byte[]> leaves() {
        List<byte[]> out = new ArrayList<>();
        for (String e : ENTRIES) {
            out.add(Merkle.leafHash(HEX.parseHex(e)));
        }
        return out;
    }

    static List<byte[]> hashes(String... hex) {
        List<byte[]> out = new ArrayList<>();
        for (String h : hex) {
            out.add(HEX.parseHex(h));
        }
        return out;
    }

    static List<String> hex(List<byte[]> hs) {
        return hs.stream().map(HEX::formatHex).toList();
    }

    @Test
    void rootsMatchTheReferenceForEverySize() {
        List<byte[]> leaves = leaves();
        for (int n = 0; n <= 8; n++) {
            assertThat(HEX.formatHex(Merkle.root(leaves.subList(0, n)))).as("size " + n).isEqualTo(ROOTS[n]);
        }
    }

    @Test
    void theRootWithOneMoreLeafIsTheRootOfTheLongerTreeAndChangesNothing() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            leaves.add(Merkle.leafHash(("entry " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        for (int n = 0; n < leaves.size(); n++) {
            MerkleTree t = MerkleTree.of(leaves.subList(0, n));
            assertThat(t.rootWith(leaves.get(n))).as("size " + (n + 1)).isEqualTo(Merkle.root(leaves.subList(0, n + 1)));
            assertThat(t.size()).isEqualTo(n);
        }
    }

    @Test
    void inclusionProofsMatchTheReference() {
        List<byte[]> leaves = leaves();
        List<byte[]> p0 = hashes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        List<byte[]> p5 = hashes("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        assertThat(hex(Merkle.inclusionProof(leaves, 0, 8))).isEqualTo(hex(p0));
        assertThat(hex(Merkle.inclusionProof(leaves, 5, 8))).isEqualTo(hex(p5));
        byte[] root8 = HEX.parseHex(ROOTS[8]);
        assertThat(Merkle.verifyInclusion(leaves.get(0), 0, 8, p0, root8)).isTrue();
        assertThat(Merkle.verifyInclusion(leaves.get(5), 5, 8, p5, root8)).isTrue();
        // Negative cases: wrong index, wrong size, wrong leaf, wrong root, index out of range, empty proof.
        assertThat(Merkle.verifyInclusion(leaves.get(5), 4, 8, p5, root8)).isFalse();
        assertThat(Merkle.verifyInclusion(leaves.get(5), 5, 6, p5, root8)).isFalse();
        assertThat(Merkle.verifyInclusion(leaves.get(4), 5, 8, p5, root8)).isFalse();
        assertThat(Merkle.verifyInclusion(leaves.get(5), 5, 8, p5, HEX.parseHex(ROOTS[7]))).isFalse();
        assertThat(Merkle.verifyInclusion(leaves.get(5), 8, 8, p5, root8)).isFalse();
        assertThat(Merkle.verifyInclusion(leaves.get(5), 5, 8, List.of(), root8)).isFalse();
    }

    @Test
    void consistencyProofsMatchTheReference() {
        List<byte[]> leaves = leaves();
        List<byte[]> c28 = hashes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        List<byte[]> c68 = hashes("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        List<byte[]> c25 = hashes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
        assertThat(hex(Merkle.consistencyProof(leaves, 2, 8))).isEqualTo(hex(c28));
        assertThat(hex(Merkle.consistencyProof(leaves, 6, 8))).isEqualTo(hex(c68));
        assertThat(hex(Merkle.consistencyProof(leaves, 2, 5))).isEqualTo(hex(c25));
        assertThat(Merkle.verifyConsistency(2, 8, HEX.parseHex(ROOTS[2]), HEX.parseHex(ROOTS[8]), c28)).isTrue();
        assertThat(Merkle.verifyConsistency(6, 8, HEX.parseHex(ROOTS[6]), HEX.parseHex(ROOTS[8]), c68)).isTrue();
        assertThat(Merkle.verifyConsistency(2, 5, HEX.parseHex(ROOTS[2]), HEX.parseHex(ROOTS[5]), c25)).isTrue();
        // Negative cases: swapped sizes, wrong old root, wrong new root, empty proof, same size with a proof.
        assertThat(Merkle.verifyConsistency(8, 6, HEX.parseHex(ROOTS[8]), HEX.parseHex(ROOTS[6]), c68)).isFalse();
        assertThat(Merkle.verifyConsistency(6, 8, HEX.parseHex(ROOTS[5]), HEX.parseHex(ROOTS[8]), c68)).isFalse();
        assertThat(Merkle.verifyConsistency(6, 8, HEX.parseHex(ROOTS[6]), HEX.parseHex(ROOTS[7]), c68)).isFalse();
        assertThat(Merkle.verifyConsistency(6, 8, HEX.parseHex(ROOTS[6]), HEX.parseHex(ROOTS[8]), List.of())).isFalse();
        assertThat(Merkle.verifyConsistency(8, 8, HEX.parseHex(ROOTS[8]), HEX.parseHex(ROOTS[8]), c68)).isFalse();
        assertThat(Merkle.verifyConsistency(8, 8, HEX.parseHex(ROOTS[8]), HEX.parseHex(ROOTS[8]), List.of())).isTrue();
    }

    @Test
    void theStoredTreeGivesTheReferenceRootsAndTheDefinitionsRootForEverySize() {
        MerkleTree t = new MerkleTree();
        assertThat(HEX.formatHex(t.root(0))).isEqualTo(ROOTS[0]);
        for (int n = 1; n < ROOTS.length; n++) {
            t.append(leaves().get(n - 1));
            assertThat(HEX.formatHex(t.root(n))).as("size " + n).isEqualTo(ROOTS[n]);
        }
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            all.add(Merkle.leafHash(new byte[] {(byte) i, (byte) (i >> 8)}));
        }
        MerkleTree g = MerkleTree.of(all);
        assertThat(g.size()).isEqualTo(70);
        for (int n = 0; n <= all.size(); n++) {
            assertThat(g.root(n)).as("size " + n).isEqualTo(definition(all.subList(0, n)));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.root(71)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.inclusionProof(5, 5)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.consistencyProof(6, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyProofVerifiesInEveryTreeShapeAndAnyChangeIsRejected() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            leaves.add(Merkle.leafHash(new byte[] {(byte) i, (byte) (i * 7)}));
        }
        for (int n = 1; n <= leaves.size(); n++) {
            byte[] root = Merkle.root(leaves.subList(0, n));
            for (int i = 0; i < n; i++) {
                List<byte[]> p = Merkle.inclusionProof(leaves, i, n);
                assertThat(Merkle.verifyInclusion(leaves.get(i), i, n, p, root)).as(i + "/" + n).isTrue();
                if (!p.isEmpty()) {
                    List<byte[]> bad = new ArrayList<>(p);
                    byte[] flipped = bad.get(bad.size() - 1).clone();
                    flipped[7] ^= 1;
                    bad.set(bad.size() - 1, flipped);
                    assertThat(Merkle.verifyInclusion(leaves.get(i), i, n, bad, root)).isFalse();
                    assertThat(Merkle.verifyInclusion(leaves.get(i), i, n, p.subList(0, p.size() - 1), root)).isFalse();
                }
            }
            for (int m = 0; m <= n; m++) {
                List<byte[]> c = Merkle.consistencyProof(leaves, m, n);
                byte[] old = Merkle.root(leaves.subList(0, m));
                assertThat(Merkle.verifyConsistency(m, n, old, root, c)).as(m + "->" + n).isTrue();
                if (!c.isEmpty()) {
                    List<byte[]> extended = new ArrayList<>(c);
                    extended.add(new byte[32]);
                    assertThat(Merkle.verifyConsistency(m, n, old, root, extended)).isFalse();
                    List<byte[]> bad = new ArrayList<>(c);
                    byte[] flipped = bad.get(0).clone();
                    flipped[3] ^= (byte) 0x80;
                    bad.set(0, flipped);
                    assertThat(Merkle.verifyConsistency(m, n, old, root, bad)).isFalse();
                }
            }
        }
    }
}
