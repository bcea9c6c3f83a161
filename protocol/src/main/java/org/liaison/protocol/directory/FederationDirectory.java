package org.liaison.protocol.directory;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.KemCertificates;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.model.Jit;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.xml.Formats;

/**
 * A verified federation directory: who the authorities are, their gateways, keys and CAs, and
 * the joint investigation teams. Immutable. Made only by {@link DirectoryVerifier} (or, for the
 * operator who signs it, {@link DirectorySigner}).
 */
public final class FederationDirectory {
    /** One authority's entry. Certificates are parsed; compare them by {@link Fingerprint}. */
    public record Entry(AuthorityId id, String name, String country, Set<Service> services, Set<Suite> suites,
            List<String> endpoints, List<X509Certificate> gatewayCertificates, List<X509Certificate> signingCertificates,
            List<X509Certificate> encryptionCertificates, List<X509Certificate> nationalCas, List<String> auditLogKeys,
            List<X509Certificate> kemCertificates, List<String> tlsGroups) {

        /**
         * The ML-KEM-768 certificate that completes {@code encryption} (one of this entry's X25519 encryption
         * certificates) into a hybrid key, if the directory lists one; the directory was refused if it lists one that
         * completes none, or two for one.
         */
        public Optional<X509Certificate> kemCertificateFor(X509Certificate encryption) {
            for (X509Certificate k : kemCertificates) {
                try {
                    if (KemCertificates.names(k, encryption)) {
                        return Optional.of(k);
                    }
                } catch (GeneralSecurityException unreadable) {
                    // refused when the directory was read: not reached
                }
            }
            return Optional.empty();
        }

        /** Whether this authority's gateway announces the TLS key-exchange group {@code group} (e.g. X25519MLKEM768). */
        public boolean announcesTlsGroup(String group) {
            return tlsGroups.contains(group);
        }

        /** Whether {@code cert} is one of this authority's gateway TLS certificates (by fingerprint). */
        public boolean isGatewayCertificate(X509Certificate cert) {
            return contains(gatewayCertificates, cert);
        }

        /**
         * Whether {@code verifierKey} may sign this authority's audit checkpoints: one the directory
         * lists, or any when it lists none (a directory of an earlier edition: peers then pin the first
         * key they see).
         */
        public boolean acceptsAuditLogKey(String verifierKey) {
            return auditLogKeys.isEmpty() || auditLogKeys.contains(verifierKey);
        }

        public boolean isSigningCertificate(X509Certificate cert) {
            return contains(signingCertificates, cert);
        }

        private static boolean contains(List<X509Certificate> list, X509Certificate cert) {
            Fingerprint f = Fingerprint.of(cert);
            return list.stream().anyMatch(c -> Fingerprint.of(c).equals(f));
        }
    }

    /** A joint investigation team. */
    public record JitEntry(String id, String name, AuthorityId lead, List<AuthorityId> members, Instant validFrom,
            Instant validUntil, String legalBasis) {
        public boolean isActive(Instant at) {
            return !at.isBefore(validFrom) && at.isBefore(validUntil);
        }
    }

    private final String federation;
    private final long sequence;
    private final Instant issued;
    private final Instant nextUpdate;
    private final Map<AuthorityId, Entry> authorities;
    private final Map<String, JitEntry> jits;
    private final byte[] xml;
    private Witnessing witnessing = Witnessing.NONE;

    private FederationDirectory(String federation, long sequence, Instant issued, Instant nextUpdate,
            Map<AuthorityId, Entry> authorities, Map<String, JitEntry> jits, byte[] xml) {
        this.federation = federation;
        this.sequence = sequence;
        this.issued = issued;
        this.nextUpdate = nextUpdate;
        this.authorities = Collections.unmodifiableMap(authorities);
        this.jits = Collections.unmodifiableMap(jits);
        this.xml = xml.clone();
    }

    /** Builds the view of a model that was verified (or is being signed); {@code xml} are its exact bytes. */
    static FederationDirectory of(Directory d, byte[] xml) throws ProtocolException {
        Map<AuthorityId, Entry> authorities = new LinkedHashMap<>();
        for (Authority a : d.getAuthority()) {
            AuthorityId id;
            try {
                id = AuthorityId.of(a.getId());
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getMessage());
            }
            if (!id.country().equals(a.getCountry())) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "authority " + id + " is listed under country " + a.getCountry());
            }
            Set<Suite> suites = EnumSet.noneOf(Suite.class);
            for (org.liaison.protocol.model.Suite s : a.getSuite()) {
                suites.add(Suite.fromId(s.value()));
            }
            Set<Service> services = EnumSet.noneOf(Service.class);
            services.addAll(a.getService());
            Entry e = new Entry(id, a.getName(), a.getCountry(), Collections.unmodifiableSet(services),
                    Collections.unmodifiableSet(suites), List.copyOf(a.getEndpoint()), certs(a.getGatewayCertificate(), id),
                    certs(a.getSigningCertificate(), id), certs(a.getEncryptionCertificate(), id), certs(a.getNationalCa(), id),
                    List.copyOf(a.getAuditLogKey()), certs(a.getKemCertificate(), id), List.copyOf(a.getTlsGroup()));
            HybridKeys.check(e);
            if (authorities.put(id, e) != null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "authority " + id + " is listed twice");
            }
        }
        Map<String, JitEntry> jits = new LinkedHashMap<>();
        for (Jit j : d.getJit()) {
            List<AuthorityId> members = new ArrayList<>();
            for (String m : j.getMember()) {
                AuthorityId id = AuthorityId.of(m);
                if (!authorities.containsKey(id)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "JIT " + j.getId() + " names unknown member " + id);
                }
                if (members.contains(id)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "JIT " + j.getId() + " lists member " + id + " twice");
                }
                members.add(id);
            }
            AuthorityId lead = AuthorityId.of(j.getLead());
            if (!members.contains(lead)) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "JIT " + j.getId() + ": lead " + lead + " is not a member");
            }
            String basis = j.getLegalBasis().getInstrument().value()
                    + (j.getLegalBasis().getArticle() == null ? "" : " art. " + j.getLegalBasis().getArticle());
            JitEntry entry = new JitEntry(j.getId(), j.getName(), lead, List.copyOf(members), Formats.instant(j.getValidFrom()),
                    Formats.instant(j.getValidUntil()), basis);
            if (jits.put(j.getId(), entry) != null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "JIT " + j.getId() + " is listed twice");
            }
        }
        FederationDirectory out = new FederationDirectory(d.getFederation(), d.getSequence(), Formats.instant(d.getIssued()),
                Formats.instant(d.getNextUpdate()), authorities, jits, xml);
        out.witnessing = Witnessing.read(d, authorities.keySet());
        return out;
    }

    private static List<X509Certificate> certs(List<byte[]> ders, AuthorityId id) throws ProtocolException {
        List<X509Certificate> out = new ArrayList<>();
        for (byte[] der : ders) {
            try {
                out.add((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)));
            } catch (GeneralSecurityException e) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "authority " + id + " lists a certificate that cannot be read");
            }
        }
        return List.copyOf(out);
    }

    public String federation() {
        return federation;
    }

    public long sequence() {
        return sequence;
    }

    public Instant issued() {
        return issued;
    }

    public Instant nextUpdate() {
        return nextUpdate;
    }

    public Map<AuthorityId, Entry> authorities() {
        return authorities;
    }

    public Map<String, JitEntry> jits() {
        return jits;
    }

    public Optional<Entry> authority(AuthorityId id) {
        return Optional.ofNullable(authorities.get(id));
    }

    /** The entry of {@code id}, or UNKNOWN_AUTHORITY. */
    public Entry require(AuthorityId id) throws ProtocolException {
        Entry e = authorities.get(id);
        if (e == null) {
            throw new ProtocolException(ErrorCode.UNKNOWN_AUTHORITY, "authority " + id + " is not in directory #" + sequence);
        }
        return e;
    }

    /** The JIT {@code id}, active at {@code at}, or UNKNOWN_JIT. */
    public JitEntry requireJit(String id, Instant at) throws ProtocolException {
        JitEntry j = jits.get(id);
        if (j == null) {
            throw new ProtocolException(ErrorCode.UNKNOWN_JIT, "JIT " + id + " is not in directory #" + sequence);
        }
        if (!j.isActive(at)) {
            throw new ProtocolException(ErrorCode.UNKNOWN_JIT, "JIT " + id + " is not active at " + at + " (valid "
                    + j.validFrom() + " to " + j.validUntil() + ")");
        }
        return j;
    }

    /** Who witnesses whose audit log, and the quorums (see {@link Witnessing}). */
    public Witnessing witnessing() {
        return witnessing;
    }

    /** The exact signed bytes, as received or written. */
    public byte[] xml() {
        return xml.clone();
    }

    public String sha256() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(xml));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
