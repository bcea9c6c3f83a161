package org.liaison.protocol;

import java.util.UUID;

/**
 * The peer API's contract between a gateway that sends (its delivery client) and one that receives (its
 * peer handler): where a message is posted, its media type, where a broken transfer's state is read.
 */
public final class PeerApi {
    private PeerApi() {}

    /** {@code POST} a message (the envelope, then its payloads); answered with the signed receipt or an {@code <Error>}. */
    public static final String MESSAGES = "/liaison/v1/messages";
    public static final String MESSAGE_TYPE = "application/vnd.liaison.message";

    /** {@code GET}: where the caller's broken transfer of one of its messages resumes. */
    public static String transferPath(UUID messageId) {
        return MESSAGES + "/" + messageId + "/transfer";
    }
}
