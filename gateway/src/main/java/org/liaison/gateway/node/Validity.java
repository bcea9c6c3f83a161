package org.liaison.gateway.node;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.protocol.directory.FederationDirectory;

/**
 * What a node depends on that expires: its own certificates, its national CA and the operator CA,
 * the CRLs it checks and the directory. One list for {@code liaison doctor} and for the expiry
 * metrics, so that both name the same things the same way.
 */
public final class Validity {
    private Validity() {}

    /** Something valid from {@code from} until {@code until}; {@code name} says what (tls, crl, directory, ...). */
    public record Dated(String name, String subject, Instant from, Instant until) implements NodeMetrics.Dated {
        public boolean expiredAt(Instant now) {
            return !now.isBefore(until);
        }

        public boolean notYetValidAt(Instant now) {
            return now.isBefore(from);
        }
    }

    /** The node's certificates and the CAs above them (those known: {@code directory} and {@code operatorCa} may be null), by purpose: tls, signing, encryption, previous-encryption-N, national-ca, operator-ca. */
    public static List<Dated> certificates(NodeKeys keys, FederationDirectory directory, AuthorityId me, X509Certificate operatorCa) {
        List<Dated> out = new ArrayList<>();
        out.add(of("tls", keys.tls()));
        out.add(of("signing", keys.signing()));
        out.add(of("encryption", keys.encryption()));
        for (int i = 0; i < keys.previousEncryption().size(); i++) {
            out.add(of("previous-encryption-" + (i + 1), keys.previousEncryption().get(i)));
        }
        if (directory != null) {
            directory.authority(me).ifPresent(e -> e.nationalCas().forEach(ca -> out.add(of("national-ca", ca))));
        }
        if (operatorCa != null) {
            out.add(of("operator-ca", operatorCa));
        }
        return out;
    }

    /** Each CRL, valid from its thisUpdate until its nextUpdate (after which the node refuses what depends on it). */
    public static List<Dated> crls(List<X509CRL> crls) {
        List<Dated> out = new ArrayList<>();
        for (X509CRL c : crls) {
            Instant next = c.getNextUpdate() == null ? Instant.MAX : c.getNextUpdate().toInstant();
            out.add(new Dated("crl", c.getIssuerX500Principal().getName(), c.getThisUpdate().toInstant(), next));
        }
        return out;
    }

    public static Dated directory(FederationDirectory d) {
        return new Dated("directory", "#" + d.sequence(), d.issued(), d.nextUpdate());
    }

    private static Dated of(String name, Credential c) {
        return of(name, c.certificate());
    }

    private static Dated of(String name, X509Certificate c) {
        return new Dated(name, c.getSubjectX500Principal().getName(), c.getNotBefore().toInstant(), c.getNotAfter().toInstant());
    }
}
