package org.liaison.protocol.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import javax.xml.datatype.DatatypeFactory;
import org.junit.jupiter.api.Test;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.pkg.Manifests;

/** Every time read from a document lies between 1970 and 9999; a deadline lies at most ten years ahead. */
class TimeBoundsTest {
    static Instant read(String xsDateTime) throws Exception {
        return Formats.instant(DatatypeFactory.newInstance().newXMLGregorianCalendar(xsDateTime));
    }

    @Test
    void aTimeInRangeIsRead() throws Exception {
        assertThat(read("2026-12-31T23:59:59Z")).isEqualTo(Instant.parse("2026-12-31T23:59:59Z"));
        assertThat(read("1970-01-01T01:00:00+01:00")).isEqualTo(Formats.EARLIEST);
        assertThat(read("9999-12-31T23:59:59Z")).isEqualTo(Formats.LATEST);
    }

    @Test
    void aTimeOutOfRangeIsRefusedNotWrappedAround() {
        // 292278995 used to come back as year -292275054 (an overflow of long milliseconds).
        for (String t : new String[] {"292278995-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+01:00", "-0001-01-01T00:00:00Z", "1234567890123-01-01T00:00:00Z"}) {
            assertThatThrownBy(() -> read(t)).as(t).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("expected: a time between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
                    .extracting(e -> ((ProtocolException) e).code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        }
        assertThatThrownBy(() -> Formats.time(Instant.parse("+10000-01-01T00:00:00Z"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeadlineMustFollowTheRequestAndNotByMoreThanTenYears() throws Exception {
        Instant made = Instant.parse("2026-12-01T00:00:00Z");
        Manifests.checkRespondBy(made, made.plus(Manifests.LONGEST_DEADLINE));
        assertThatThrownBy(() -> Manifests.checkRespondBy(made, made)).hasMessageContaining("before it was made");
        assertThatThrownBy(() -> Manifests.checkRespondBy(made, made.plus(Manifests.LONGEST_DEADLINE).plusSeconds(1)))
                .hasMessageContaining("RespondBy").hasMessageContaining("at most 3660 days");
        assertThatThrownBy(() -> Manifests.checkRespondBy(made, Instant.parse("+292278995-01-01T00:00:00Z")))
                .hasMessageContaining("expected: a time between");
    }
}
