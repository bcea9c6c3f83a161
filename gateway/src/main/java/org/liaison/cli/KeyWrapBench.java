package org.liaison.cli;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKey;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.protocol.xenc.HybridKem;
import org.liaison.protocol.xml.SecureXml;
import org.w3c.dom.Element;

/**
 * The second table of {@code liaison bench keys}: wrapping an envelope's content key for one
 * recipient, and unwrapping it, in each suite — the work and the bytes each recipient adds to an
 * envelope. The same code the gateway runs (ContentEncryption), not the bare primitives.
 */
final class KeyWrapBench {
    interface Measure {
        double opsPerSecond(BenchCommand.Keys.Op op) throws Exception;
    }

    private KeyWrapBench() {}

    static List<Map<String, Object>> rows(Measure measure) throws Exception {
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.createRoot("CN=bench CA", KeyAlgorithm.ED25519, now.minus(Duration.ofMinutes(5)),
                now.plus(Duration.ofDays(1)), 0);
        SecretKey cek = ContentEncryption.newContentKey();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String scheme : List.of("X25519 (modern)", "RSA-3072 OAEP (rsa)", "X25519+ML-KEM-768 (pq-hybrid)")) {
            BenchCommand.Keys.Op wrap;
            BenchCommand.Keys.Op unwrap;
            Element sample;
            if (scheme.startsWith("X25519+")) {
                HybridKem.KeyPair kp = HybridKem.generate(new java.security.SecureRandom());
                sample = ContentEncryption.wrapKey(SecureXml.newDocument(), cek, kp.publicKey(), "AL-PP");
                Element s = sample;
                wrap = () -> ContentEncryption.wrapKey(SecureXml.newDocument(), cek, kp.publicKey(), "AL-PP");
                unwrap = () -> check(ContentEncryption.unwrapKey(s, kp.privateKey()), cek);
            } else {
                KeyAlgorithm alg = scheme.startsWith("X25519") ? KeyAlgorithm.X25519 : KeyAlgorithm.RSA_3072;
                KeyPair kp = alg.generate();
                X509Certificate cert = ca.issue(CertificateAuthority.Request.of("CN=bench", kp.getPublic(), CertificateProfile.ENCRYPTION,
                        now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)))).get(0);
                PrivateKey key = Credential.create(kp.getPrivate(), List.of(cert)).privateKey();
                sample = ContentEncryption.wrapKey(SecureXml.newDocument(), cek, cert, "AL-PP");
                Element s = sample;
                wrap = () -> ContentEncryption.wrapKey(SecureXml.newDocument(), cek, cert, "AL-PP");
                unwrap = () -> check(ContentEncryption.unwrapKey(s, key), cek);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("recipientKey", scheme);
            row.put("wrapPerSecond", Math.round(measure.opsPerSecond(wrap) * 10) / 10.0);
            row.put("unwrapPerSecond", Math.round(measure.opsPerSecond(unwrap) * 10) / 10.0);
            row.put("bytesPerRecipient", SecureXml.serialize(sample).length);
            rows.add(row);
        }
        return rows;
    }

    private static void check(SecretKey got, SecretKey expected) {
        if (!java.security.MessageDigest.isEqual(got.getEncoded(), expected.getEncoded())) {
            throw new IllegalStateException("benchmark key did not unwrap");
        }
    }
}
