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
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.certs.Role;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.tls.AcceptedCertificates;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;

/**
 * Trust for the local API: only personal certificates issued by this authority's own national CA
 * (from the directory), valid and not revoked, for TLS client use. Users of other authorities are
 * refused in the handshake and audited; roles are checked per request by the API.
 */
final class UserTrustManager extends X509ExtendedTrustManager {
    static final String API = "local API";
    /** Personal certificates accepted under a trust, remembered for a few seconds (see {@link AcceptedCertificates}). */
    private static final AcceptedCertificates<LocalUser> ACCEPTED =
            new AcceptedCertificates<>();
    private final AuthorityId me;
    private final Supplier<Trust> trust;
    private final AuthFailures failures;

    private final java.time.Clock clock;

    UserTrustManager(AuthorityId me, Supplier<Trust> trust, AuthFailures failures, java.time.Clock clock) {
        this.clock = clock;
        this.me = me;
        this.trust = trust;
        this.failures = failures;
    }

    /** The person a chain names, if it is a valid personal certificate of {@code me}'s national CA under {@code trust}. */
    static LocalUser validate(AuthorityId me, Trust trust, List<X509Certificate> chain, Instant now) throws CertificateException {
        return ACCEPTED.get(trust, chain.get(0), me.value(), now, () -> {
            try {
                trust.validatorFor(me).validate(chain.get(0), chain.subList(1, chain.size()), Purpose.TLS_CLIENT, now);
                return new LocalUser(chain.get(0), Role.of(chain.get(0)));
            } catch (CertificateRejectedException | ProtocolException e) {
                throw new CertificateException("not a user of " + me + ": " + e.getMessage());
            }
        });
    }

    private void check(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        EventLoops.assertOffLoop("a certificate check");
        if (chain == null || chain.length == 0) {
            failures.refused(engine, API, "unknown", "no certificate presented");
            throw new CertificateException("no certificate presented");
        }
        try {
            validate(me, trust.get(), Arrays.asList(chain), clock.instant());
        } catch (CertificateException e) {
            failures.refused(engine, API, "SHA256:" + Fingerprint.of(chain[0]).hex(), e.getMessage());
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, engine);
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
