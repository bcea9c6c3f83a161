package org.liaison.gateway.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TuningTest {
    @Test
    void settingsAreBuiltFromTheDefaultsAndCheckedWhenMade() {
        GatewayNode.Tuning t = GatewayNode.Tuning.builder().readTimeout(Duration.ofSeconds(3)).build();
        assertThat(t.readTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(t.clientTimeout()).isEqualTo(GatewayNode.Tuning.DEFAULT.clientTimeout());
        assertThat(t.toBuilder().poll(Duration.ofMillis(50)).build().readTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> GatewayNode.Tuning.builder().readTimeout(Duration.ZERO).build())
                .hasMessage("readTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> GatewayNode.Tuning.builder().maxEnvelopeBytes(10).maxMessageBytes(5).build())
                .hasMessageContaining("expected: 0 < maxEnvelopeBytes <= maxMessageBytes");
    }
}
