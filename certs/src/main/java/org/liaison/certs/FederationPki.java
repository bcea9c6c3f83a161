package org.liaison.certs;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A complete, ready-made PKI for a federation of authorities, written to a folder — for tests, the
 * demo and first steps. Production federations run the same operations one by one with
 * {@code liaison certs}.
 *
 * <pre>
 *   operator/ca/                      federation operator CA (a {@link CaStore}); password in operator/ca.password
 *   operator/directory-signing.*      the operator's directory signing credential
 *   CC-NAME/ca/                       the authority's national CA
 *   CC-NAME/gateway-tls.*             gateway TLS (server and client), SANs localhost and 127.0.0.1
 *   CC-NAME/envelope-signing.*        envelope and receipt signing
 *   CC-NAME/encryption.*              content-key encryption (X25519 or RSA by suite; pq-hybrid: X25519 and
 *                                     ML-KEM-768, two certificates in one keystore; the ML-KEM one
 *                                     also in encryption-kem.pem)
 *   CC-NAME/users/ROLE/credential.*   one investigator and one auditor
 * </pre>
 *
 * Every credential {@code NAME} is {@code NAME.p12} (key and chain), {@code NAME.pem} (chain) and
 * {@code NAME.password} (random, owner-only).
 */
public final class FederationPki {
    public static final String OPERATOR = "operator";

    /** One authority's credentials as written. */
    public record Authority(AuthorityId id, Path dir, CaStore ca, Credential gatewayTls, Credential envelopeSigning,
            Credential encryption, Map<Role, Credential> users) {}

    private final Path dir;
    private final Suite suite;
    private final CaStore operator;
    private final Credential directorySigning;
    private final Map<AuthorityId, Authority> authorities;

    private FederationPki(Path dir, Suite suite, CaStore operator, Credential directorySigning,
            Map<AuthorityId, Authority> authorities) {
        this.dir = dir;
        this.suite = suite;
        this.operator = operator;
        this.directorySigning = directorySigning;
        this.authorities = authorities;
    }

    public static FederationPki create(Path dir, List<AuthorityId> ids, Suite suite, Instant now, Duration validity)
            throws IOException, GeneralSecurityException {
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("authorities: none (expected: at least one, e.g. IT-DNA)");
        }
        if (ids.stream().distinct().count() != ids.size()) {
            throw new IllegalArgumentException("authorities: " + ids + " (expected: each id once)");
        }
        Instant notBefore = now.minus(Duration.ofMinutes(5));
        Instant notAfter = now.plus(validity);
        Path opDir = dir.resolve(OPERATOR);
        CaStore operator = CaStore.create(opDir.resolve("ca"),
                CertificateAuthority.createRoot("CN=Liaison Federation Operator CA, O=Liaison Federation", suite.signatureKey(),
                        notBefore, notAfter.plus(Duration.ofDays(1)), 0),
                Passwords.fromFileOrCreate(opDir.resolve("ca.password")));
        operator.writeCrl(now, Duration.ofDays(7));
        Credential dirSigning = issue(operator, opDir, "directory-signing", CertificateProfile.DIRECTORY_SIGNING,
                "CN=Liaison Federation Directory, O=Liaison Federation", suite, notBefore, notAfter, List.of());

        Map<AuthorityId, Authority> map = new LinkedHashMap<>();
        for (AuthorityId id : ids) {
            Path a = dir.resolve(id.value());
            String org = "O=" + id.value() + ", C=" + id.country();
            CaStore ca = CaStore.create(a.resolve("ca"),
                    CertificateAuthority.createRoot("CN=" + id.value() + " National CA, " + org, suite.signatureKey(), notBefore,
                            notAfter.plus(Duration.ofDays(1)), 0),
                    Passwords.fromFileOrCreate(a.resolve("ca.password")));
            Credential tls = issue(ca, a, "gateway-tls", CertificateProfile.GATEWAY_TLS, "CN=" + id.value() + " gateway, " + org,
                    suite, notBefore, notAfter, List.of("localhost"));
            Credential sign = issue(ca, a, "envelope-signing", CertificateProfile.ENVELOPE_SIGNING,
                    "CN=" + id.value() + " envelope signing, " + org, suite, notBefore, notAfter, List.of());
            Credential enc = issue(ca, a, "encryption", CertificateProfile.ENCRYPTION, "CN=" + id.value() + " encryption, " + org,
                    suite, notBefore, notAfter, List.of());
            Map<Role, Credential> users = new LinkedHashMap<>();
            for (Role role : List.of(Role.INVESTIGATOR, Role.AUDITOR, Role.OPERATOR)) {
                Path u = a.resolve("users").resolve(role.id());
                users.put(role, issue(ca, u, "credential", role == Role.INVESTIGATOR ? CertificateProfile.INVESTIGATOR
                        : role == Role.AUDITOR ? CertificateProfile.AUDITOR : CertificateProfile.OPERATOR,
                        "CN=" + id.value() + " " + role.id() + ", OU=" + id.value() + ", " + org,
                        suite, notBefore, notAfter, List.of()));
            }
            ca.writeCrl(now, Duration.ofDays(7));
            map.put(id, new Authority(id, a, ca, tls, sign, enc, users));
        }
        return new FederationPki(dir, suite, operator, dirSigning, map);
    }

    private static Credential issue(CaStore ca, Path dir, String name, CertificateProfile profile, String subject, Suite suite,
            Instant notBefore, Instant notAfter, List<String> dns) throws IOException, GeneralSecurityException {
        KeyPair kp = suite.keyFor(profile).generate();
        // The investigator a federation is made with holds every clearance (the demo issues one without, to show the refusal).
        java.util.Set<Clearance> clearances = profile == CertificateProfile.INVESTIGATOR ? java.util.EnumSet.allOf(Clearance.class)
                : java.util.Set.of();
        List<X509Certificate> chain = ca.issue(new CertificateAuthority.Request(subject, kp.getPublic(), profile, notBefore,
                notAfter, dns, dns.isEmpty() ? List.of() : List.of("127.0.0.1", "::1"), -1, clearances));
        Credential c = Credential.create(kp.getPrivate(), chain);
        if (profile == CertificateProfile.ENCRYPTION && suite.kemKey().isPresent()) {
            c = withKem(ca, c, suite.kemKey().get(), subject, notBefore, notAfter);
        }
        char[] pw = Passwords.fromFileOrCreate(dir.resolve(name + ".password"));
        Keystores.save(c, dir.resolve(name + ".p12"), pw);
        Pem.writeCertificates(dir.resolve(name + ".pem"), chain);
        if (c.kemCertificate().isPresent()) {
            Pem.writeCertificates(dir.resolve(name + "-kem.pem"), List.of(c.kemCertificate().get()));
        }
        return c;
    }

    /**
     * Completes an X25519 encryption credential with a {@code kem} (ML-KEM-768) key and a certificate for
     * it from the same CA, bound to the X25519 certificate (see {@link KemCertificates}).
     */
    public static Credential withKem(CaStore ca, Credential encryption, KeyAlgorithm kem, String subject, Instant notBefore,
            Instant notAfter) throws IOException, GeneralSecurityException {
        KeyPair kp = kem.generate();
        List<X509Certificate> chain = ca.issue(CertificateAuthority.Request.of(subject, kp.getPublic(), CertificateProfile.ENCRYPTION,
                notBefore, notAfter).relatedTo(encryption.certificate()));
        return Credential.hybrid(encryption.privateKey(), encryption.chain(), kp.getPrivate(), chain.get(0));
    }

    public Path directory() {
        return dir;
    }

    public Suite suite() {
        return suite;
    }

    public CaStore operator() {
        return operator;
    }

    public Credential directorySigning() {
        return directorySigning;
    }

    public Map<AuthorityId, Authority> authorities() {
        return authorities;
    }

    public Authority authority(AuthorityId id) {
        Authority a = authorities.get(id);
        if (a == null) {
            throw new IllegalArgumentException("authority: " + id + " (expected one of: " + authorities.keySet() + ")");
        }
        return a;
    }

    /** A validator that trusts exactly one authority's national CA, with its current CRL. */
    public CertificateValidator validatorFor(AuthorityId id) throws IOException {
        CaStore ca = authority(id).ca();
        return new CertificateValidator(List.of(ca.authority().certificate()),
                new ArrayList<>(List.of(Pem.readCrl(ca.directory().resolve(CaStore.CRL)))));
    }
}
