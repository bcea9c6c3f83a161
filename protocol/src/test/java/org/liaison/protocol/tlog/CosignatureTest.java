package org.liaison.protocol.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.liaison.certs.Providers;

/** C2SP tlog-cosignature (cosignature/v1) and tlog-witness formats, checked against the specs' own examples. */
class CosignatureTest {
    /** The checkpoint body of the spec's examples (tlog-cosignature, tlog-witness). */
    static final String BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    /** The spec's example cosignature line (tlog-cosignature): key ID, then the u64 timestamp 1679315147, then 64 bytes. */
    static final String SPEC_LINE = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";

    static Cosignature.Cosigner witness() {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) 7);
        return Cosignature.Cosigner.of("witness.example.com/w1", seed);
    }

    @Test
    void theSpecsExampleLineHasTheTimestampOfItsSignedMessage() {
        byte[] blob = Base64.getDecoder().decode(SPEC_LINE.substring(SPEC_LINE.lastIndexOf(' ') + 1));
        assertThat(blob).hasSize(4 + 8 + 64);
        // "time 1679315147" in the spec's example of the signed message
        assertThat(ByteBuffer.wrap(blob, 4, 8).getLong()).isEqualTo(1679315147L);
        assertThat(new String(Cosignature.message(BODY, 1679315147L), StandardCharsets.UTF_8)).isEqualTo(
                "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    }

    @Test
    void signsTheSpecsMessageWithATypeFourKeyId() throws Exception {
        Cosignature.Cosigner w = witness();
        String line = Cosignature.sign(BODY, w, 1679315147L);
        assertThat(line).startsWith("— witness.example.com/w1 ").endsWith("\n");
        byte[] blob = Base64.getDecoder().decode(line.substring(line.lastIndexOf(' ') + 1).trim());
        assertThat(blob).hasSize(76);
        // key ID = SHA-256(name || "\n" || 0x04 || key)[:4], computed here independently
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update("witness.example.com/w1\n".getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0x04);
        d.update(w.key().publicKey());
        assertThat(Arrays.copyOf(blob, 4)).isEqualTo(Arrays.copyOf(d.digest(), 4));
        assertThat(ByteBuffer.wrap(blob, 4, 8).getLong()).isEqualTo(1679315147L);
        // the signature is plain Ed25519 over the spec's message, checked with the JCA alone
        Signature s = Signature.getInstance("Ed25519", Providers.bouncyCastle());
        s.initVerify(KeyFactory.getInstance("Ed25519", Providers.bouncyCastle()).generatePublic(new X509EncodedKeySpec(
                concat(HexFormat.of().parseHex("302a300506032b6570032100"), w.key().publicKey()))));
        s.update(("cosignature/v1\ntime 1679315147\n" + BODY).getBytes(StandardCharsets.UTF_8));
        assertThat(s.verify(Arrays.copyOfRange(blob, 12, 76))).isTrue();
        // the vkey carries the 0x04 type and round-trips
        String vkey = w.key().vkey();
        assertThat(Base64.getDecoder().decode(vkey.split("\\+")[2])[0]).isEqualTo((byte) 0x04);
        assertThat(Cosignature.WitnessKey.parse(vkey)).isEqualTo(w.key());
    }

    @Test
    void verifiesAmongOtherSignaturesAndRefusesTampering() throws Exception {
        Cosignature.Cosigner w = witness();
        String logged = BODY + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        String cosigned = Cosignature.withSignatures(logged, List.of(Cosignature.sign(BODY, w, 1700000000L), SPEC_LINE));
        assertThat(Cosignature.verify(cosigned, w.key())).hasValue(1700000000L);
        // another root, another time, another key: no cosignature
        assertThat(Cosignature.verify(cosigned.replace("20852163", "20852164"), w.key())).isEmpty();
        String line = Cosignature.sign(BODY, w, 1700000000L);
        byte[] blob = Base64.getDecoder().decode(line.substring(line.lastIndexOf(' ') + 1).trim());
        blob[11]++; // the timestamp changes: the signature no longer matches
        String forged = BODY + "\n— witness.example.com/w1 " + Base64.getEncoder().encodeToString(blob) + "\n";
        assertThat(Cosignature.verify(forged, w.key())).isEmpty();
        byte[] other = new byte[32];
        assertThat(Cosignature.verify(cosigned, Cosignature.Cosigner.of("witness.example.com/w1", other).key())).isEmpty();
        // a log key (type 0x01) is not a witness key
        assertThatThrownBy(() -> Cosignature.WitnessKey.parse(SignedNoteTest.VKEY)).hasMessageContaining("0x01");
        assertThatThrownBy(() -> Cosignature.sign(BODY, w, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mlDsa44KeysAreRecognisedButNeverCounted() {
        byte[] k = new byte[1 + 1312];
        k[0] = 0x06;
        Cosignature.WitnessKey mldsa = new Cosignature.WitnessKey("w2", Cosignature.Algorithm.ML_DSA_44, Arrays.copyOfRange(k, 1, k.length));
        assertThat(Cosignature.WitnessKey.parse(mldsa.vkey()).algorithm()).isEqualTo(Cosignature.Algorithm.ML_DSA_44);
        assertThat(Cosignature.verify(BODY + "\n— w2 AAAA\n", mldsa)).isEmpty();
    }

    @Test
    void quorumCountsEachWitnessOnce() throws Exception {
        Cosignature.Cosigner a = witness();
        byte[] seed = new byte[32];
        seed[0] = 1;
        Cosignature.Cosigner a2 = Cosignature.Cosigner.of("witness.example.com/w1", seed);
        seed[0] = 2;
        Cosignature.Cosigner b = Cosignature.Cosigner.of("witness.example.com/w2", seed);
        WitnessPolicy p = new WitnessPolicy(List.of(new WitnessPolicy.Witness("A", List.of(a.key(), a2.key())),
                new WitnessPolicy.Witness("B", List.of(b.key()))), 2);
        String note = BODY + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        String twiceA = Cosignature.withSignatures(note, List.of(Cosignature.sign(BODY, a, 5), Cosignature.sign(BODY, a2, 6)));
        assertThat(p.check(twiceA).cosignedBy()).containsExactly("A");
        assertThat(p.check(twiceA).satisfied()).isFalse();
        String both = Cosignature.withSignatures(twiceA, List.of(Cosignature.sign(BODY, b, 7)));
        assertThat(p.check(both).satisfied()).isTrue();
        assertThat(p.policyText(List.of("log+00000000+AQ"))).contains("group quorum 2 A B\nquorum quorum\n")
                .contains("group A any A-1 A-2\n");
        assertThatThrownBy(() -> new WitnessPolicy(List.of(), 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addCheckpointRequestsParseAsTheSpecWritesThem() {
        String spec = "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
                + "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n" + BODY
                + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        AddCheckpoint r = AddCheckpoint.parse(spec.getBytes(StandardCharsets.UTF_8));
        assertThat(r.oldSize()).isEqualTo(20852014L);
        assertThat(r.proof()).hasSize(4);
        assertThat(Checkpoint.ofNote(r.checkpointNote()).size()).isEqualTo(20852163L);
        assertThat(new String(r.encode(), StandardCharsets.UTF_8)).isEqualTo(spec);
        assertThat(AddCheckpoint.parse(("old 0\n\n" + BODY + "\n— x AAAA\n").getBytes(StandardCharsets.UTF_8)).proof()).isEmpty();
        for (String bad : List.of("old 01\n\n" + BODY, "old -1\n\n" + BODY, "new 1\n\n" + BODY, "old 1\nAAAA\n\n" + BODY, "old 1\n" + BODY)) {
            assertThatThrownBy(() -> AddCheckpoint.parse(bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void tlogProofsRoundTripInTheSpecsLayout() {
        byte[] h = new byte[32];
        TlogProof p = new TlogProof(null, 73894, List.of(h, h), BODY + "\n— example.com/behind-the-sofa AAAA\n");
        assertThat(p.text()).startsWith("c2sp.org/tlog-proof@v1\nindex 73894\n" + Base64.getEncoder().encodeToString(h) + "\n");
        TlogProof back = TlogProof.parse(p.text());
        assertThat(back.index()).isEqualTo(73894);
        assertThat(back.inclusion()).hasSize(2);
        assertThat(back.checkpointNote()).isEqualTo(p.checkpointNote());
        TlogProof withExtra = TlogProof.parse(new TlogProof("x".getBytes(StandardCharsets.UTF_8), 0, List.of(), p.checkpointNote()).text());
        assertThat(withExtra.extra()).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> TlogProof.parse("c2sp.org/tlog-proof@v2\nindex 1\n\n" + BODY)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
