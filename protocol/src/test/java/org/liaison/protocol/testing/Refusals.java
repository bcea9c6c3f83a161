package org.liaison.protocol.testing;

import org.liaison.protocol.ProtocolException;

/** Runs something that must be refused, and returns the refusal for assertions on its code and message. */
public final class Refusals {
    private Refusals() {}

    public interface Call {
        void run() throws Exception;
    }

    public static ProtocolException refusal(Call call) {
        try {
            call.run();
        } catch (ProtocolException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a ProtocolException, got " + e, e);
        }
        throw new AssertionError("accepted, but expected a refusal");
    }
}
