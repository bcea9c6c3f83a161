package org.liaison.gateway.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The local API's contract, one piece of code for the node ({@link LocalApiHandler}) and the CLI
 * ({@code LocalClient}): paths, headers, media types, the framing of streamed bodies and the shape
 * of errors. The status of an error comes from {@link org.liaison.gateway.net.HttpStatuses}.
 *
 * <pre>
 *   POST SUBMIT                  investigator: 4-byte length ‖ signed manifest ‖ the files' bytes in manifest order
 *                                 (headers IDEMPOTENCY_KEY, IN_REPLY_TO) → {"messageId": …}
 *   GET  MESSAGES[/ID]           an investigator's own sent messages (an operator's: all), with each delivery's state
 *   GET  INBOX                   investigator, operator: received messages
 *   GET  SUBMIT                  investigator, with Idempotency-Key: {"offset": N}, the file bytes a broken upload
 *                                with that key left (0: none); POST SUBMIT with Liaison-Resume-From: N and the
 *                                manifest then the file bytes from N on resumes it
 *   GET  INBOX/ID                investigator: 4-byte length ‖ manifest (as signed) ‖ the files' bytes;
 *                                with Range: bytes=N- the bytes from N on (206, Content-Range), to resume a download
 *   POST INBOX/ID/quarantine     operator, reason in REASON (URL-encoded UTF-8)
 *   GET  AUDIT                   auditor: 4-byte length ‖ verifier key ‖ 8-byte length ‖ checkpoints ‖ 8-byte length ‖ entries
 *   errors: {"error": "LIAISON:0018", "message": "…", "retryable": false}
 * </pre>
 */
public final class LocalApi {
    private LocalApi() {}

    public static final String PREFIX = "/liaison/v1/local/";
    public static final String SUBMIT = PREFIX + "submit";
    public static final String MESSAGES = PREFIX + "messages";
    public static final String INBOX = PREFIX + "inbox";
    /**
     * The header of a listing's answer (GET MESSAGES, GET INBOX: a page, {@code limit} rows, 100 unless given) when
     * more rows follow: the cursor to ask for the next page with ({@code after=}).
     */
    public static final String NEXT_PAGE = "Liaison-Next-Page";
    public static final String AUDIT = PREFIX + "audit";
    /** {@code GET} (auditor): [{"witness": ID, "checkpoint": NOTE} or {"witness": ID, "error": WHY}] for this node's log. */
    public static final String AUDIT_WITNESSES = PREFIX + "audit-witnesses";
    /** {@code GET EVIDENCE/ID}: the message's sealed ASiC-E evidence container (its sender's investigators, its recipients' who may open it, auditors). */
    public static final String EVIDENCE = PREFIX + "evidence";
    /** {@code POST} (operator): delete every message of the case named in {@link #CASE}, with a {@link #REASON}. */
    public static final String CASE_DELETE = PREFIX + "cases/delete";
    /** A case reference, URL-encoded. */
    public static final String CASE = "X-Liaison-Case";
    /** {@code GET}: case assignments (operators: all; investigators: their own). */
    public static final String CASES = PREFIX + "cases";
    /** {@code POST} (operator): assign the {@link #PERSON} to the {@link #CASE}; {@code unassign}: take them off. */
    public static final String CASE_ASSIGN = PREFIX + "cases/assign";
    public static final String CASE_UNASSIGN = PREFIX + "cases/unassign";
    /** A person: their certificate's subject DN or SHA256 fingerprint, URL-encoded. */
    public static final String PERSON = "X-Liaison-Person";
    public static final String QUARANTINE = "/quarantine";
    /** {@code POST INBOX/ID/acknowledge} or {@code /decline} (investigator; a decline with {@link #REASON_CODE}, both with an optional {@link #NOTE}). */
    public static final String ACKNOWLEDGE = "/acknowledge";
    public static final String DECLINE = "/decline";

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    public static final String IN_REPLY_TO = "X-Liaison-In-Reply-To";
    public static final String REASON = "X-Liaison-Reason";
    /** A refusal's reason code (see {@code Notices.reasons()}). */
    public static final String REASON_CODE = "X-Liaison-Reason-Code";
    /** Free text for the other authority, URL-encoded UTF-8 (at most 4096 characters). */
    public static final String NOTE = "X-Liaison-Note";

    public static final String SUBMISSION_TYPE = "application/vnd.liaison.submission";
    public static final String PACKAGE_TYPE = "application/vnd.liaison.package";
    public static final String AUDIT_LOG_TYPE = "application/vnd.liaison.audit-log";

    /** The path of one received message, and of setting it aside. */
    public static String inbox(UUID id) {
        return INBOX + "/" + id;
    }

    public static String quarantine(UUID id) {
        return inbox(id) + QUARANTINE;
    }

    public static String message(UUID id) {
        return MESSAGES + "/" + id;
    }

    /** The body of an error answer. */
    public static Map<String, Object> error(ProtocolException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.code().code());
        body.put("message", e.getMessage());
        body.put("retryable", e.code().isRetryable());
        return body;
    }

    /** The error an answer's body holds, or null when it holds none a client can read. */
    public static ProtocolException error(JsonNode body) {
        try {
            return new ProtocolException(ErrorCode.fromCode(body.path("error").asText()), body.path("message").asText());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("bytes=(\\d{1,18})-");

    /**
     * The start of a {@code Range: bytes=N-} header (the only form served: the rest of a download), 0
     * without one.
     */
    public static long rangeStart(String range) throws ProtocolException {
        if (range == null) {
            return 0;
        }
        java.util.regex.Matcher m = RANGE.matcher(range.trim());
        if (!m.matches()) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "Range: only bytes=N- is served"
                    + " (the rest of a download from byte N)");
        }
        return Long.parseLong(m.group(1));
    }
}
