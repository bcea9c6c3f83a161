package org.liaison.gateway.evidence;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;
import org.liaison.certs.Providers;

/**
 * RFC 3161 time-stamps, with the Bouncy Castle TSP API: asking a time-stamping authority (TSA) for a
 * token over a SHA-256 digest, and checking a token offline.
 *
 * <p><b>Security guarantees.</b> {@link #verify} accepts a token only when its imprint is SHA-256 of
 * exactly the expected digest, its signature verifies with the TSA certificate the caller trusts (the
 * first of {@code chain}; a certificate the token carries is only a claim), that certificate has the
 * critical timeStamping extended key usage (RFC 3161 2.3, checked by Bouncy Castle) and chains to the last
 * certificate of {@code chain} (revocation of the TSA certificate is not checked: a court checks it
 * against the TSA's published status at the time of the token). The time is the token's genTime.
 */
public final class TimeStamps {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TimeStamps() {}

    /** A token that verified: its genTime and the exact DER bytes. */
    public record Verified(Instant time, byte[] token) {}

    /** A TSA endpoint and the certificate chain its tokens must verify with (TSA certificate first, root last). */
    public record Authority(URI url, List<X509Certificate> chain, Duration timeout) {
        public Authority {
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("timestamping.url: " + url + " (expected: an http or https URL)");
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("timestamping.certificates: empty (expected: the TSA certificate and its CA chain)");
            }
            chain = List.copyOf(chain);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /**
     * Asks {@code tsa} for a token over {@code sha256} (with a nonce, and the TSA's certificate in the
     * token) and verifies the answer against the request and {@code tsa}'s chain.
     *
     * @throws IOException when the TSA cannot be reached or answers with an error or an invalid token
     */
    public static Verified request(Authority tsa, byte[] sha256) throws IOException {
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        TimeStampRequest req = g.generate(TSPAlgorithms.SHA256, sha256, new BigInteger(63, RANDOM));
        HttpResponse<byte[]> answer;
        try {
            answer = HTTP.send(HttpRequest.newBuilder(tsa.url()).timeout(tsa.timeout())
                    .header("Content-Type", "application/timestamp-query")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded())).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the TSA");
        }
        if (answer.statusCode() != 200) {
            throw new IOException("the TSA " + tsa.url() + " answered HTTP " + answer.statusCode());
        }
        try {
            TimeStampResponse resp = new TimeStampResponse(answer.body());
            resp.validate(req); // status granted, nonce, imprint and policy as asked
            if (resp.getTimeStampToken() == null) {
                throw new IOException("the TSA granted no token: " + resp.getStatusString());
            }
            return verify(resp.getTimeStampToken().getEncoded(), sha256, tsa.chain());
        } catch (TSPException e) {
            throw new IOException("the TSA's answer is not valid: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IOException("the TSA's token does not verify: " + e.getMessage());
        }
    }

    /**
     * Verifies a token (DER, a CMS SignedData) over {@code sha256} with the TSA chain {@code chain}
     * (TSA certificate first, trusted root last).
     *
     * @throws GeneralSecurityException naming what does not hold
     */
    public static Verified verify(byte[] token, byte[] sha256, List<X509Certificate> chain) throws GeneralSecurityException {
        TimeStampToken t;
        try {
            t = new TimeStampToken(new CMSSignedData(token));
        } catch (CMSException | TSPException | IOException | RuntimeException e) {
            throw new GeneralSecurityException("not an RFC 3161 token: " + e.getMessage());
        }
        if (!TSPAlgorithms.SHA256.equals(t.getTimeStampInfo().getMessageImprintAlgOID())) {
            throw new GeneralSecurityException("the token's imprint is not SHA-256");
        }
        if (!MessageDigest.isEqual(sha256, t.getTimeStampInfo().getMessageImprintDigest())) {
            throw new GeneralSecurityException("the token stamps another digest than the one checked");
        }
        X509Certificate tsa = chain.get(0);
        try {
            t.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider(Providers.bouncyCastle()).build(tsa));
        } catch (TSPException | OperatorCreationException e) {
            throw new GeneralSecurityException("the token does not verify with the TSA certificate "
                    + tsa.getSubjectX500Principal().getName() + ": " + e.getMessage());
        }
        checkChain(chain, t.getTimeStampInfo().getGenTime().toInstant());
        return new Verified(t.getTimeStampInfo().getGenTime().toInstant(), token.clone());
    }

    /** The certificates a token carries (what an exporter puts beside it; never trusted for that). */
    public static List<X509Certificate> carried(byte[] token) throws GeneralSecurityException {
        try {
            Store<X509CertificateHolder> store = new TimeStampToken(new CMSSignedData(token)).getCertificates();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new java.util.ArrayList<>();
            for (X509CertificateHolder h : store.getMatches(null)) {
                out.add((X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(h.getEncoded())));
            }
            return out;
        } catch (CMSException | TSPException | IOException e) {
            throw new GeneralSecurityException("not an RFC 3161 token: " + e.getMessage());
        }
    }

    /** The TSA certificate chains to the chain's last certificate, valid at the token's time. */
    private static void checkChain(List<X509Certificate> chain, Instant at) throws GeneralSecurityException {
        if (chain.size() == 1) {
            chain.get(0).checkValidity(java.util.Date.from(at)); // a TSA certificate trusted as itself
            return;
        }
        X509Certificate root = chain.get(chain.size() - 1);
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        p.setRevocationEnabled(false);
        p.setDate(java.util.Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509")
                .generateCertPath(chain.subList(0, chain.size() - 1)), p);
    }
}
