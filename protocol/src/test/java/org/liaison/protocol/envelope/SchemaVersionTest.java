package org.liaison.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The one rule for a {@code Liaison-Schema} version ("MAJOR" or "MAJOR.MINOR", ASCII digits only, at most six each),
 * used by the protocol (which format a peer reads) and by the node (what it remembers a peer announced).
 */
class SchemaVersionTest {
    @Test
    void versionsAreDigitsOnlyMajorAndOptionalMinor() {
        for (String v : new String[] {"1", "1.4", "2", "01.4", "1.04", "999999.999999", "0"}) {
            assertThat(Receipts.isVersion(v)).as(v).isTrue();
        }
        for (String v : new String[] {null, "", " ", " 2", "2 ", "+2", "-1", "1.4.1", "1.", ".4", "1..4", "1,4", "1e4", "v1.4",
            "1.4\n", "\u0661.\u0664", "1234567", "1.1234567", "1234567.1"}) {
            assertThat(Receipts.isVersion(v)).as(String.valueOf(v)).isFalse();
        }
    }

    @Test
    void evidenceIsReadFromOneFourAndOnlyByAVersion() {
        assertThat(Receipts.readsEvidence("1.4")).isTrue();
        assertThat(Receipts.readsEvidence("01.4")).isTrue();
        assertThat(Receipts.readsEvidence("2")).isTrue();
        assertThat(Receipts.readsEvidence("1.3")).isFalse();
        assertThat(Receipts.readsEvidence("1")).isFalse();
        assertThat(Receipts.readsEvidence(" 2")).isFalse();
        assertThat(Receipts.readsEvidence("+2")).isFalse();
        assertThat(Receipts.readsEvidence("1.4.1")).isFalse();
        assertThat(Receipts.readsEvidence("")).isFalse();
        assertThat(Receipts.readsEvidence(null)).isFalse();
    }
}
