package org.liaison.gateway.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

class LengthPrefixedTest {
    static final int MAX = 4 << 20;

    @Test
    void anAnnouncedLengthReservesNothingUntilBytesArrive() throws Exception {
        BufferBudget budget = new BufferBudget(MAX, 2L * MAX);
        LengthPrefixed head = new LengthPrefixed(MAX, "envelope", budget.lease());
        assertThat(head.accept(ByteBuffer.wrap(new byte[] {0x00, 0x40, 0x00, 0x00}))).isNull();
        assertThat(head.capacity()).isZero();
        assertThat(budget.inUse()).isZero();
        head.accept(ByteBuffer.wrap(new byte[10]));
        assertThat(head.capacity()).isEqualTo(LengthPrefixed.FIRST_CAPACITY);
        assertThat(budget.inUse()).isEqualTo(LengthPrefixed.FIRST_CAPACITY);
    }

    @Test
    void aValueFedInPiecesComesOutWholeAndTheRestStays() throws Exception {
        byte[] value = new byte[100_000];
        new Random(7).nextBytes(value);
        ByteBuffer all = ByteBuffer.allocate(4 + value.length + 3).putInt(value.length).put(value).put(new byte[] {1, 2, 3}).flip();
        BufferBudget budget = new BufferBudget(MAX, MAX);
        BufferBudget.Lease lease = budget.lease();
        LengthPrefixed head = new LengthPrefixed(MAX, "envelope", lease);
        byte[] out = null;
        Random r = new Random(1);
        while (out == null) {
            ByteBuffer piece = all.slice();
            piece.limit(Math.min(piece.remaining(), 1 + r.nextInt(5000)));
            out = head.accept(piece);
            all.position(all.position() + piece.position());
        }
        assertThat(out).isEqualTo(value);
        assertThat(all.remaining()).isEqualTo(3);
        lease.release();
        lease.release();
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void lengthsOutOfRangeAndASpentBudgetAreRefused() throws Exception {
        assertThatThrownBy(() -> new LengthPrefixed(MAX, "envelope", new BufferBudget(MAX, MAX).lease())
                .accept(ByteBuffer.allocate(4).putInt(MAX + 1).flip()))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE));
        BufferBudget small = new BufferBudget(16 * 1024, 16 * 1024);
        LengthPrefixed first = new LengthPrefixed(MAX, "envelope", small.lease());
        first.accept(ByteBuffer.allocate(4 + 9000).putInt(MAX).put(new byte[9000]).flip()); // 16 KiB held
        assertThatThrownBy(() -> new LengthPrefixed(MAX, "envelope", small.lease()).accept(ByteBuffer.allocate(5).putInt(10).put((byte) 1)
                .flip())).isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThat(small.inUse()).isEqualTo(16 * 1024);
    }
}
