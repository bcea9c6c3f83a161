package org.liaison.gateway.local;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.Purpose;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;

/**
 * Trust for the local API: only personal certificates issued by this authority's own national CA
 * (from the directory), valid and not revoked, for TLS client use. Users of other authorities are
 * refused in the handshake and audited; roles are checked per request by the API.
 */
final class UserTrustManager extends X509ExtendedTrustManager {
    private final AuthorityId me;
    private final Supplier<Trust> trust;
    private final AuditLog audit;

    UserTrustManager(AuthorityId me, Supplier<Trust> trust, AuditLog audit) {
        this.me = me;
        this.trust = trust;
        this.audit = audit;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            audit.record(AuditEvent.of("auth-failure", "unknown", null, null, "refused", "local API: no certificate"));
            throw new CertificateException("no certificate presented");
        }
        try {
            List<X509Certificate> rest = Arrays.asList(chain).subList(1, chain.length);
            trust.get().validatorFor(me).validate(chain[0], rest, Purpose.TLS_CLIENT, Instant.now());
        } catch (CertificateRejectedException | ProtocolException e) {
            audit.record(AuditEvent.of("auth-failure", "SHA256:" + org.liaison.certs.Fingerprint.of(chain[0]).hex(), null, null,
                    "refused", "local API: " + e.getMessage()));
            throw new CertificateException("not a user of " + me + ": " + e.getMessage());
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the local API is a server only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the local API is a server only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the local API is a server only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        try {
            return trust.get().directory().require(me).nationalCas().toArray(new X509Certificate[0]);
        } catch (ProtocolException e) {
            return new X509Certificate[0];
        }
    }
}
