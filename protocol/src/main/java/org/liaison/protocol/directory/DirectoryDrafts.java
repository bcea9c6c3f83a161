package org.liaison.protocol.directory;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.FederationPki;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Jit;
import org.liaison.protocol.model.LegalBasis;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.model.Suite;
import org.liaison.protocol.model.Witnesses;
import org.liaison.protocol.xml.Formats;

/** Drafts of directories for a federation whose PKI was made by {@link FederationPki} (tests, the demo, first steps). */
public final class DirectoryDrafts {
    private DirectoryDrafts() {}

    /** A JIT to list: its members are all authorities of the draft. */
    public record JitDraft(String id, String name, AuthorityId lead, Instant validFrom, Instant validUntil, String article,
            String legalBasisText) {}

    /**
     * A directory listing every authority of {@code pki} with every service, its endpoint, its
     * gateway, signing and encryption certificates and its national CA.
     */
    public static Directory draft(FederationPki pki, String federation, Map<AuthorityId, String> endpoints, long sequence,
            Instant issued, Instant nextUpdate, List<JitDraft> jits) {
        return draft(pki, federation, endpoints, Map.of(), sequence, issued, nextUpdate, jits);
    }

    /** As above, listing each authority's audit log verifier key from {@code auditLogKeys} (where it has one). */
    public static Directory draft(FederationPki pki, String federation, Map<AuthorityId, String> endpoints,
            Map<AuthorityId, String> auditLogKeys, long sequence, Instant issued, Instant nextUpdate, List<JitDraft> jits) {
        return draft(pki, federation, endpoints, auditLogKeys, Map.of(), sequence, issued, nextUpdate, jits);
    }

    /**
     * As above, also listing each authority's witness key from {@code witnessKeys}: every authority's
     * log is then witnessed by all the others that have one, with a majority quorum ({@link Witnessing#majority}).
     */
    public static Directory draft(FederationPki pki, String federation, Map<AuthorityId, String> endpoints,
            Map<AuthorityId, String> auditLogKeys, Map<AuthorityId, String> witnessKeys, long sequence, Instant issued,
            Instant nextUpdate, List<JitDraft> jits) {
        Directory d = new Directory();
        d.setFederation(federation);
        d.setSequence(sequence);
        d.setIssued(Formats.time(issued));
        d.setNextUpdate(Formats.time(nextUpdate));
        for (FederationPki.Authority a : pki.authorities().values()) {
            Authority x = new Authority();
            x.setId(a.id().value());
            x.setCountry(a.id().country());
            x.setName(a.id().value() + " central authority");
            x.getService().addAll(List.of(Service.values()));
            x.getSuite().add(Suite.fromValue(pki.suite().id()));
            String endpoint = endpoints.get(a.id());
            x.getEndpoint().add(endpoint == null ? "https://localhost:0" : endpoint);
            x.getGatewayCertificate().add(der(a.gatewayTls().certificate()));
            x.getSigningCertificate().add(der(a.envelopeSigning().certificate()));
            x.getEncryptionCertificate().add(der(a.encryption().certificate()));
            a.encryption().kemCertificate().ifPresent(k -> x.getKemCertificate().add(der(k)));
            if (pki.suite() == org.liaison.certs.Suite.PQ_HYBRID) {
                // A pq-hybrid federation keeps its sessions post-quantum too: each gateway announces hybrid TLS.
                x.getTlsGroup().add(HYBRID_TLS_GROUP);
            }
            x.getNationalCa().add(der(a.ca().authority().certificate()));
            if (auditLogKeys.containsKey(a.id())) {
                x.getAuditLogKey().add(auditLogKeys.get(a.id()));
            }
            if (witnessKeys.containsKey(a.id())) {
                x.getWitnessKey().add(witnessKeys.get(a.id()));
            }
            List<String> others = pki.authorities().keySet().stream().filter(o -> !o.equals(a.id()) && witnessKeys.containsKey(o))
                    .map(AuthorityId::value).toList();
            if (!others.isEmpty()) {
                Witnesses w = new Witnesses();
                w.getWitness().addAll(others);
                w.setQuorum(Witnessing.majority(others.size()));
                x.setWitnesses(w);
            }
            d.getAuthority().add(x);
        }
        for (JitDraft j : jits) {
            Jit x = new Jit();
            x.setId(j.id());
            x.setName(j.name());
            x.setLead(j.lead().value());
            x.setValidFrom(Formats.time(j.validFrom()));
            x.setValidUntil(Formats.time(j.validUntil()));
            LegalBasis lb = new LegalBasis();
            lb.setInstrument(Instrument.UNTOC);
            lb.setArticle(j.article());
            lb.setValue(j.legalBasisText());
            x.setLegalBasis(lb);
            pki.authorities().keySet().forEach(id -> x.getMember().add(id.value()));
            d.getJit().add(x);
        }
        return d;
    }

    /** The hybrid TLS 1.3 key exchange a pq-hybrid federation's gateways announce (X25519 + ML-KEM-768). */
    public static final String HYBRID_TLS_GROUP = "X25519MLKEM768";

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
