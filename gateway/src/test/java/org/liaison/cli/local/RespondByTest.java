package org.liaison.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@code --respond-by} takes the recipient's rule: in the future, at most ten years ahead, never an overflow. */
class RespondByTest {
    static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void aDateATimeOrADurationIsTaken() {
        assertThat(SubmitCommand.deadline("2026-12-31", NOW)).isEqualTo(Instant.parse("2026-12-31T23:59:59Z"));
        assertThat(SubmitCommand.deadline("P14D", NOW)).isEqualTo(NOW.plus(java.time.Duration.ofDays(14)));
    }

    @Test
    void aDeadlineTooFarAheadOrBeyondAnyDateIsRefused() {
        for (String far : new String[] {"3026-01-01", "+292278995-01-01T00:00:00Z", "P4000D", "P999999999D", "PT9999999999999H"}) {
            assertThatThrownBy(() -> SubmitCommand.deadline(far, NOW)).as(far).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--respond-by: " + far);
        }
    }
}
