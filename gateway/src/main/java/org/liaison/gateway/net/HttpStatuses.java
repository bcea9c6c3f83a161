package org.liaison.gateway.net;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.liaison.protocol.ErrorCode;

/** The one mapping from a Liaison error to an HTTP status, for the peer API and the local API alike. */
public final class HttpStatuses {
    private HttpStatuses() {}

    public static HttpResponseStatus of(ErrorCode code) {
        switch (code) {
            case PAYLOAD_TOO_LARGE:
                return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case UNAVAILABLE:
            case STORAGE_FULL:
            case TRUSTED_TIME_UNAVAILABLE:
                return HttpResponseStatus.SERVICE_UNAVAILABLE;
            case TIMEOUT:
                return HttpResponseStatus.REQUEST_TIMEOUT;
            case INTERNAL:
            case STORED_DATA_CORRUPT:
                return HttpResponseStatus.INTERNAL_SERVER_ERROR;
            case NOT_FOUND:
                return HttpResponseStatus.NOT_FOUND;
            case IDEMPOTENCY_CONFLICT:
            case MESSAGE_ID_CONFLICT:
            case RESUME_MISMATCH:
            case PARKED_UPLOADS_FULL:
                return HttpResponseStatus.CONFLICT;
            default:
                switch (code.category()) {
                    case SECURITY:
                        return HttpResponseStatus.FORBIDDEN;
                    case POLICY:
                        return HttpResponseStatus.UNPROCESSABLE_ENTITY;
                    default:
                        return HttpResponseStatus.BAD_REQUEST;
                }
        }
    }
}
