package org.liaison.protocol.pkg;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.model.Urgency;

/**
 * What an investigator says about a package: case, service, sender, recipients (authorities or
 * one JIT), legal basis and handling marks. Exactly one of {@code to} (non-empty) and {@code jit}.
 */
public record ManifestSpec(String caseReference, Service service, AuthorityId from, List<AuthorityId> to, String jit,
        Instrument instrument, String article, String legalBasisText, Classification classification, Set<HandlingFlag> flags,
        String note, java.time.Instant respondBy, Urgency urgency) {
    /** A package that asks for no answer by a date and carries no urgency. */
    public ManifestSpec(String caseReference, Service service, AuthorityId from, List<AuthorityId> to, String jit,
            Instrument instrument, String article, String legalBasisText, Classification classification, Set<HandlingFlag> flags,
            String note) {
        this(caseReference, service, from, to, jit, instrument, article, legalBasisText, classification, flags, note, null, null);
    }

    public ManifestSpec {
        Objects.requireNonNull(caseReference, "caseReference");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(instrument, "instrument");
        Objects.requireNonNull(classification, "classification");
        to = to == null ? List.of() : List.copyOf(to);
        flags = flags == null ? Set.of() : Set.copyOf(flags);
        if (to.isEmpty() == (jit == null)) {
            throw new IllegalArgumentException("recipients: give either authorities or one JIT (expected exactly one of them)");
        }
        if (to.contains(from)) {
            throw new IllegalArgumentException("recipients: " + from + " cannot send to itself");
        }
        legalBasisText = legalBasisText == null ? "" : legalBasisText;
    }
}
