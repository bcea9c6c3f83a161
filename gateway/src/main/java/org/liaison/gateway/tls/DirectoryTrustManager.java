package org.liaison.gateway.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.gateway.net.EventLoops;
import org.liaison.protocol.directory.FederationDirectory;

/**
 * TLS trust from the directory, not from the JDK's cacerts: a peer is accepted in the handshake
 * only if its certificate identifies a federation authority's gateway ({@link PeerIdentity}).
 * Refusals are audited and counted ({@link AuthFailures}). Host names are not checked: peers are identified by certificate
 * fingerprint against the signed directory, which is stronger.
 */
public final class DirectoryTrustManager extends X509ExtendedTrustManager {
    private final PeerIdentity identity;
    private final AuthFailures failures;

    public DirectoryTrustManager(PeerIdentity identity, AuthFailures failures) {
        this.identity = identity;
        this.failures = failures;
    }

    private void check(X509Certificate[] chain, Purpose purpose, SSLEngine engine) throws CertificateException {
        // A refusal is audited (a disk append) and the directory may be reloading: never on an event loop.
        EventLoops.assertOffLoop("a certificate check");
        String api = purpose == Purpose.TLS_CLIENT ? "peer API" : "delivery";
        if (chain == null || chain.length == 0) {
            failures.refused(engine, api, "unknown", "no certificate presented");
            throw new CertificateException("no certificate presented");
        }
        try {
            identity.identify(chain[0], purpose);
        } catch (CertificateException e) {
            failures.refused(engine, api, "SHA256:" + Fingerprint.of(chain[0]).hex(), e.getMessage());
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, Purpose.TLS_CLIENT, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, Purpose.TLS_CLIENT, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, Purpose.TLS_CLIENT, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, Purpose.TLS_SERVER, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, Purpose.TLS_SERVER, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, Purpose.TLS_SERVER, engine);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        List<X509Certificate> cas = new ArrayList<>();
        for (FederationDirectory.Entry e : identity.trust().directory().authorities().values()) {
            cas.addAll(e.nationalCas());
        }
        return cas.toArray(new X509Certificate[0]);
    }
}
