package org.liaison.gateway.net;

import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The header of a {@code POST} that resumes a broken transfer: where in the payload bytes its body
 * continues. The peer API (a message's transfer) and the local API (an upload) take it alike; the
 * delivery worker and the CLI send it.
 */
public final class ResumeFrom {
    public static final String HEADER = "Liaison-Resume-From";

    private ResumeFrom() {}

    /** The value of a {@value #HEADER} header (null: absent, 0). */
    public static long parse(String v) throws ProtocolException {
        if (v == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ProtocolException(ErrorCode.SCHEMA_INVALID, HEADER + " must be a byte offset");
    }
}
