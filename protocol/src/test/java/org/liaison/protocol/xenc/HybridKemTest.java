package org.liaison.protocol.xenc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.liaison.protocol.testing.Refusals.refusal;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.digests.SHAKEDigest;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Providers;
import org.liaison.protocol.ErrorCode;

class HybridKemTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    private static final Path JAVA_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    @Test
    void encapsulationAndDecapsulationAgree() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        HybridKem.Encapsulation a = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        HybridKem.Encapsulation b = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        assertThat(a.secret()).hasSize(32);
        assertThat(a.x25519Ciphertext()).hasSize(HybridKem.X25519_BYTES);
        assertThat(a.mlkemCiphertext()).hasSize(HybridKem.MLKEM_CIPHERTEXT_BYTES);
        assertThat(HybridKem.decapsulate(kp.privateKey(), a.x25519Ciphertext(), a.mlkemCiphertext())).isEqualTo(a.secret());
        assertThat(HybridKem.decapsulate(kp.privateKey(), b.x25519Ciphertext(), b.mlkemCiphertext())).isEqualTo(b.secret());
        assertThat(a.secret()).isNotEqualTo(b.secret());
        // A private key restored from its parts is the same key.
        HybridKem.PrivateKey restored = HybridKem.PrivateKey.of(kp.privateKey().x25519(), kp.privateKey().mlkemSeed());
        assertThat(restored.publicKey().mlkem()).isEqualTo(kp.publicKey().mlkem());
        assertThat(restored.publicKey().x25519()).isEqualTo(kp.publicKey().x25519());
        assertThat(HybridKem.decapsulate(restored, a.x25519Ciphertext(), a.mlkemCiphertext())).isEqualTo(a.secret());
    }

    /**
     * The secret is the documented combiner, recomputed here with independent parts: the JDK's
     * X25519 and SHA3-256, and ML-KEM decapsulation called directly.
     */
    @Test
    void theSecretIsSha3OverBothSecretsBothCiphertextsBothKeysAndTheLabel() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        HybridKem.Encapsulation enc = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        byte[] ssM = new MLKEMExtractor(new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, kp.privateKey().mlkemSeed()))
                .extractSecret(enc.mlkemCiphertext());
        KeyFactory xf = KeyFactory.getInstance("X25519");
        KeyAgreement ka = KeyAgreement.getInstance("X25519");
        ka.init(xf.generatePrivate(new PKCS8EncodedKeySpec(concat(HEX.parseHex("302e020100300506032b656e04220420"),
                kp.privateKey().x25519()))));
        ka.doPhase(xf.generatePublic(new X509EncodedKeySpec(concat(HEX.parseHex("302a300506032b656e032100"),
                enc.x25519Ciphertext()))), true);
        byte[] ssX = ka.generateSecret();
        MessageDigest sha3 = MessageDigest.getInstance("SHA3-256");
        for (byte[] part : new byte[][] {ssM, ssX, enc.mlkemCiphertext(), enc.x25519Ciphertext(), kp.publicKey().mlkem(),
                kp.publicKey().x25519(), "urn:liaison:xml:1#kem-x25519-mlkem768".getBytes(StandardCharsets.US_ASCII)}) {
            sha3.update(part);
        }
        assertThat(enc.secret()).isEqualTo(sha3.digest());
    }

    /** Each component counts: the wrong key or a changed ciphertext on either side gives another secret. */
    @Test
    void eachComponentChangesTheSecret() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        HybridKem.KeyPair other = HybridKem.generate(RANDOM);
        HybridKem.Encapsulation enc = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        HybridKem.PrivateKey wrongX = HybridKem.PrivateKey.of(other.privateKey().x25519(), kp.privateKey().mlkemSeed());
        HybridKem.PrivateKey wrongM = HybridKem.PrivateKey.of(kp.privateKey().x25519(), other.privateKey().mlkemSeed());
        assertThat(HybridKem.decapsulate(wrongX, enc.x25519Ciphertext(), enc.mlkemCiphertext())).isNotEqualTo(enc.secret());
        assertThat(HybridKem.decapsulate(wrongM, enc.x25519Ciphertext(), enc.mlkemCiphertext())).isNotEqualTo(enc.secret());
        byte[] ctX = enc.x25519Ciphertext();
        ctX[5] ^= 1;
        assertThat(HybridKem.decapsulate(kp.privateKey(), ctX, enc.mlkemCiphertext())).isNotEqualTo(enc.secret());
        byte[] ctM = enc.mlkemCiphertext();
        ctM[500] ^= 1;
        assertThat(HybridKem.decapsulate(kp.privateKey(), enc.x25519Ciphertext(), ctM)).isNotEqualTo(enc.secret());
    }

    @Test
    void wrongSizesAndSwappedCiphertextsAreRefused() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        HybridKem.Encapsulation enc = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        assertThat(refusal(() -> HybridKem.decapsulate(kp.privateKey(), enc.mlkemCiphertext(), enc.x25519Ciphertext())).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(refusal(() -> HybridKem.decapsulate(kp.privateKey(), Arrays.copyOf(enc.x25519Ciphertext(), 31),
                enc.mlkemCiphertext())).getMessage()).contains("X25519 ciphertext must be 32 bytes, got 31");
        assertThat(refusal(() -> HybridKem.decapsulate(kp.privateKey(), enc.x25519Ciphertext(),
                Arrays.copyOf(enc.mlkemCiphertext(), 1089))).getMessage()).contains("ML-KEM-768 ciphertext must be 1088 bytes, got 1089");
        assertThat(refusal(() -> HybridKem.PublicKey.of(kp.publicKey().mlkem(), kp.publicKey().x25519())).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(refusal(() -> HybridKem.PrivateKey.of(kp.privateKey().x25519(), Arrays.copyOf(kp.privateKey().mlkemSeed(), 32))).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
    }

    /** Keys as the JCA (and so certificates) carry them: X25519 and ML-KEM-768 from the Bouncy Castle provider. */
    @Test
    void keysComeFromJcaKeysOfBothKinds() throws Exception {
        java.security.Provider bc = Providers.bouncyCastle();
        java.security.KeyPair x = java.security.KeyPairGenerator.getInstance("X25519", bc).generateKeyPair();
        java.security.KeyPair m = java.security.KeyPairGenerator.getInstance("ML-KEM-768", bc).generateKeyPair();
        HybridKem.PublicKey pub = HybridKem.PublicKey.of(x.getPublic(), m.getPublic());
        HybridKem.PrivateKey priv = HybridKem.PrivateKey.of(x.getPrivate(), m.getPrivate());
        assertThat(priv.publicKey().mlkem()).isEqualTo(pub.mlkem());
        assertThat(priv.publicKey().x25519()).isEqualTo(pub.x25519());
        HybridKem.Encapsulation enc = HybridKem.encapsulate(pub, RANDOM);
        assertThat(HybridKem.decapsulate(priv, enc.x25519Ciphertext(), enc.mlkemCiphertext())).isEqualTo(enc.secret());
        // The wrong kinds, or the two swapped, are refused.
        java.security.KeyPair m512 = java.security.KeyPairGenerator.getInstance("ML-KEM-512", bc).generateKeyPair();
        assertThat(refusal(() -> HybridKem.PublicKey.of(x.getPublic(), m512.getPublic())).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(refusal(() -> HybridKem.PublicKey.of(m.getPublic(), x.getPublic())).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(refusal(() -> HybridKem.PrivateKey.of(m.getPrivate(), x.getPrivate())).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    /** FIPS 203 7.2: an encapsulation key with a coefficient of q or more is refused before use. */
    @Test
    void anEncapsulationKeyFailingTheModulusCheckIsRefused() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        byte[] bad = kp.publicKey().mlkem();
        bad[0] = (byte) 0xff; // the first 12-bit coefficient becomes 0xfff = 4095, more than q = 3329
        bad[1] = (byte) 0xff;
        assertThat(refusal(() -> HybridKem.PublicKey.of(kp.publicKey().x25519(), bad)).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(HybridKem.PublicKey.of(kp.publicKey().x25519(), kp.publicKey().mlkem()).mlkem()).isEqualTo(kp.publicKey().mlkem());
    }

    /** A small-order X25519 ciphertext (here: zero) would make the X25519 secret all zeros: refused. */
    @Test
    void aSmallOrderX25519CiphertextIsRefused() throws Exception {
        HybridKem.KeyPair kp = HybridKem.generate(RANDOM);
        HybridKem.Encapsulation enc = HybridKem.encapsulate(kp.publicKey(), RANDOM);
        assertThat(refusal(() -> HybridKem.decapsulate(kp.privateKey(), new byte[32], enc.mlkemCiphertext())).code())
                .isEqualTo(ErrorCode.DECRYPTION_FAILED);
        assertThat(refusal(() -> HybridKem.encapsulate(HybridKem.PublicKey.of(new byte[32], kp.publicKey().mlkem()), RANDOM)).code())
                .isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    /**
     * Known answers for Bouncy Castle's ML-KEM-768 (FIPS 203 final): the accumulated vector Go's
     * crypto/mlkem pins in its TestAccumulated (short mode): 100 key pairs from seeds d||z read from
     * SHAKE-128, one encapsulation each with a message read from the same stream, and the
     * decapsulation of a pseudo-random ciphertext (implicit rejection); a second SHAKE-128 absorbs
     * ek, ct, K and the rejection key, and its first 32 bytes are compared. (C2SP CCTV's own
     * accumulated hashes target the FIPS 203 draft and would not match.) No FIPS 203 KAT file is
     * reachable here: Bouncy Castle's jars carry classes only, and apt finds no liboqs/PQClean package.
     */
    @Test
    void mlkem768MatchesTheAccumulatedKnownAnswers() {
        SHAKEDigest s = new SHAKEDigest(128);
        SHAKEDigest o = new SHAKEDigest(128);
        byte[] seed = new byte[64];
        byte[] msg = new byte[32];
        byte[] ct1 = new byte[HybridKem.MLKEM_CIPHERTEXT_BYTES];
        for (int i = 0; i < 100; i++) {
            s.doOutput(seed, 0, seed.length);
            MLKEMPrivateKeyParameters dk = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed);
            MLKEMPublicKeyParameters ek = dk.getPublicKeyParameters();
            update(o, ek.getEncoded());
            s.doOutput(msg, 0, msg.length);
            SecretWithEncapsulation enc = MLKEMGenerator.internalGenerateEncapsulated(ek, msg);
            update(o, enc.getEncapsulation());
            update(o, enc.getSecret());
            assertThat(new MLKEMExtractor(dk).extractSecret(enc.getEncapsulation())).isEqualTo(enc.getSecret());
            s.doOutput(ct1, 0, ct1.length);
            update(o, new MLKEMExtractor(dk).extractSecret(ct1));
        }
        byte[] out = new byte[32];
        o.doFinal(out, 0, out.length);
        assertThat(HEX.formatHex(out)).isEqualTo("1114b1b6699ed191734fa339376afa7e285c9e6acf6ff0177d346696ce564415");
    }

    /**
     * Bouncy Castle against Java 25's own ML-KEM (JEP 496), where Temurin 25 is installed: the JDK
     * encapsulates to a Bouncy Castle key and Bouncy Castle decapsulates, then Bouncy Castle
     * encapsulates to a JDK key and the JDK decapsulates; each side's secret must match. Only public
     * keys cross (as X.509 SubjectPublicKeyInfo), so each private key stays in its implementation.
     */
    @Test
    void mlkem768AgreesWithJava25sOwnImplementation(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(JAVA_25), "Temurin 25 is not installed at " + JAVA_25);
        Path source = dir.resolve("JdkMlKem.java");
        try (InputStream in = HybridKemTest.class.getResourceAsStream("JdkMlKem.java")) {
            Files.copy(in, source);
        }
        HybridKem.KeyPair bc = HybridKem.generate(RANDOM);
        MLKEMPublicKeyParameters bcPublic = new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_768, bc.publicKey().mlkem());
        byte[] spki = org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(bcPublic).getEncoded();
        Process p = new ProcessBuilder(JAVA_25.toString(), source.toString(), HEX.formatHex(spki))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String[] enc = line(out).split(" ");
            assertThat(enc[0]).isEqualTo("enc");
            byte[] jdkCiphertext = HEX.parseHex(enc[1]);
            assertThat(jdkCiphertext).hasSize(HybridKem.MLKEM_CIPHERTEXT_BYTES);
            MLKEMPrivateKeyParameters bcPrivate = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, bc.privateKey().mlkemSeed());
            assertThat(HEX.formatHex(new MLKEMExtractor(bcPrivate).extractSecret(jdkCiphertext)))
                    .as("Bouncy Castle decapsulating the JDK's encapsulation").isEqualTo(enc[2]);

            String[] pk = line(out).split(" ");
            assertThat(pk[0]).isEqualTo("pk");
            assertThat(pk[2]).as("the JDK's providers, not Bouncy Castle").isEqualTo("SunJCE,SunJCE");
            MLKEMPublicKeyParameters jdkPublic = (MLKEMPublicKeyParameters) org.bouncycastle.crypto.util.PublicKeyFactory
                    .createKey(HEX.parseHex(pk[1]));
            assertThat(jdkPublic.getParameters().getName()).isEqualTo(MLKEMParameters.ml_kem_768.getName());
            SecretWithEncapsulation bcEnc = new MLKEMGenerator(RANDOM).generateEncapsulated(jdkPublic);
            Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII);
            in.write("ct " + HEX.formatHex(bcEnc.getEncapsulation()) + "\n");
            in.close();
            String[] dec = line(out).split(" ");
            assertThat(dec[0]).isEqualTo("dec");
            assertThat(dec[1]).as("the JDK decapsulating Bouncy Castle's encapsulation").isEqualTo(HEX.formatHex(bcEnc.getSecret()));
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    private static String line(BufferedReader out) throws java.io.IOException {
        String line = out.readLine();
        assertThat(line).as("a line from the Java 25 program (its errors are above)").isNotNull();
        return line;
    }

    private static void update(SHAKEDigest d, byte[] b) {
        d.update(b, 0, b.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
