package org.liaison.protocol.dsig;

import java.security.Provider;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Providers;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Signing and verifying an envelope-sized document (8 KiB of content) with Santuario, with the
 * JCA provider of the node ({@code bc}: Bouncy Castle) and with Santuario's default (the JDK's
 * providers in their order, {@code jdk}), side by side. Run with {@code scripts/bench-xml-signatures}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class XmlSignatureBenchmark {
    @Param({"modern", "rsa"})
    public String suite;

    @Param({"jdk", "bc"})
    public String provider;

    private Provider jca;
    private Credential signer;
    private SignatureAlgorithm algorithm;
    private byte[] unsigned;
    private byte[] signed;

    @Setup
    public void setup() throws Exception {
        jca = provider.equals("bc") ? Providers.bouncyCastle() : null;
        TestPki pki = TestPki.create(Suite.fromId(suite));
        signer = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "IT-DNA envelope signing");
        algorithm = SignatureAlgorithm.forKey(KeyAlgorithm.of(signer.certificate().getPublicKey()));
        Document doc = SecureXml.newDocument();
        Element root = doc.createElementNS("urn:bench", "b:Envelope");
        doc.appendChild(root);
        root.setTextContent("x".repeat(8192));
        unsigned = SecureXml.serialize(doc);
        signed = SecureXml.serialize(sign());
        verify(); // fails the run if the setup is wrong
    }

    @Benchmark
    public Document sign() throws Exception {
        Document doc = SecureXml.parse(unsigned, XmlLimits.DEFAULT);
        XmlSignatures.sign(doc, signer, algorithm, jca);
        return doc;
    }

    @Benchmark
    public XmlSignatures.Verified verify() throws Exception {
        return XmlSignatures.verify(SecureXml.parse(signed, XmlLimits.DEFAULT), Set.of(algorithm), claimed -> signer.certificate(), jca);
    }
}
