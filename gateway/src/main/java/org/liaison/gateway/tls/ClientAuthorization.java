package org.liaison.gateway.tls;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.liaison.protocol.directory.Trust;

/**
 * The authorisation of the peer of one TLS connection (the client, on a server; the server, on a
 * client), kept current: the peer's certificate is
 * checked again whenever the node's trust (directory and CRLs) changed since the last check, and
 * when the certificate expires. The API handlers ask for it on every request, so a connection —
 * new, kept alive, or resumed from a session ticket, where the TLS layer runs no trust manager —
 * never outlives a revocation or a directory change.
 *
 * <p>Cheap on the common path: a reference comparison with the trust last checked against.
 *
 * @param <T> what the check yields: the peer authority or the local user
 */
public final class ClientAuthorization<T> {
    /** The check of a certificate chain against one trust. */
    public interface Check<T> {
        T check(Trust trust, List<X509Certificate> chain, Instant now) throws CertificateException;
    }

    private static final AttributeKey<ClientAuthorization<?>> KEY = AttributeKey.valueOf("liaison.client-authorization");

    private final Supplier<Trust> trust;
    private final Check<T> check;
    private final List<X509Certificate> chain;
    private Trust checkedAgainst;
    private T client;

    public ClientAuthorization(Supplier<Trust> trust, List<X509Certificate> chain, Check<T> check) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected the client's certificate first)");
        }
        this.trust = trust;
        this.chain = List.copyOf(chain);
        this.check = check;
    }

    /** The client's certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /**
     * The client as authorised by the current trust.
     *
     * @throws CertificateException when the certificate is no longer acceptable (revoked, expired,
     *     no longer in the directory)
     */
    public synchronized T current(Instant now) throws CertificateException {
        Trust t = trust.get();
        if (t != checkedAgainst || !now.isBefore(chain.get(0).getNotAfter().toInstant())) {
            client = null;
            checkedAgainst = null;
            T c = check.check(t, chain, now);
            client = c;
            checkedAgainst = t;
        }
        return client;
    }

    /** The certificate chain the peer of a TLS session presented, its own certificate first; empty if none. */
    public static List<X509Certificate> peerChain(javax.net.ssl.SSLSession session) {
        try {
            List<X509Certificate> chain = new java.util.ArrayList<>();
            for (java.security.cert.Certificate c : session.getPeerCertificates()) {
                chain.add((X509Certificate) c);
            }
            return chain;
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    /** Attaches the authorisation to a connection. */
    public void attach(Channel connection) {
        connection.attr(KEY).set(this);
    }

    /** The authorisation of a connection, or of the HTTP/2 connection a stream belongs to; null if none. */
    @SuppressWarnings("unchecked")
    public static <T> ClientAuthorization<T> of(Channel ch) {
        ClientAuthorization<?> a = ch.attr(KEY).get();
        if (a == null && ch.parent() != null) {
            a = ch.parent().attr(KEY).get();
        }
        return (ClientAuthorization<T>) a;
    }
}
