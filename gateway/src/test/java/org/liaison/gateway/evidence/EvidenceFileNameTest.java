package org.liaison.gateway.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;

/** An evidence's file name is what it always was (listings sort by it; exports name the files so). */
class EvidenceFileNameTest {
    @Test
    void theNameIsTheZeroPaddedTimeTheEventAndTheId() {
        for (Instant t : List.of(Instant.EPOCH, Instant.ofEpochMilli(7), Instant.parse("2026-12-07T10:00:00.123Z"),
                Instant.parse("9999-12-31T23:59:59.999Z"), Instant.ofEpochMilli(-1))) {
            Evidences.Content c = Evidences.Content.of(EvidenceEvent.DELIVERED, t, AuthorityId.of("AL-PP"), AuthorityId.of("IT-DNA"),
                    List.of(AuthorityId.of("AL-PP")), java.util.UUID.randomUUID());
            assertThat(EvidenceIssuer.name(c)).isEqualTo(String.format("%013d-%s-%s.xml", t.toEpochMilli(), c.event().id(),
                    c.evidenceId()));
        }
        Evidences.Content relayed = Evidences.Content.of(EvidenceEvent.RELAYED, Instant.ofEpochMilli(42), AuthorityId.of("IT-DNA"),
                AuthorityId.of("IT-DNA"), List.of(AuthorityId.of("AL-PP")), java.util.UUID.randomUUID());
        assertThat(EvidenceIssuer.name(relayed)).isEqualTo("0000000000042-relayed-" + relayed.evidenceId() + ".xml");
    }
}
