package org.liaison.protocol.evidence;

import java.util.Locale;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The events of a message's life that a node gives evidence of, after ETSI EN 319 522-3 (table 2). Each
 * has a stable id, its URI in Liaison's evidence vocabulary (what the signed document carries) and the
 * EN 319 522 event it corresponds to ({@code null} where the standard has none). docs/formats.md shows the
 * mapping and who issues each.
 */
public enum EvidenceEvent {
    /** The sender's node accepted an investigator's signed package and sealed it (EN: SubmissionAcceptance). */
    SUBMISSION_ACCEPTED("submission-accepted", "SubmissionAcceptance"),
    /** The sender's node refused a signed package (EN: SubmissionRejection); the reason names the error code. */
    SUBMISSION_REFUSED("submission-refused", "SubmissionRejection"),
    /** The recipient's node took the message and returned a receipt that verified (EN: RelayAcceptance). */
    RELAYED("relayed", "RelayAcceptance"),
    /** The sender's node gave up handing the message to a recipient's node: refused for good (EN: RelayFailure). */
    RELAY_FAILED("relay-failed", "RelayFailure"),
    /** The recipient's node stored the message for its authority and receipted it (EN: ContentConsignment). */
    DELIVERED("delivered", "ContentConsignment"),
    /** The message expired before a recipient's node took it (EN: ContentConsignmentFailure). */
    NOT_DELIVERED("not-delivered", "ContentConsignmentFailure"),
    /** An investigator of the recipient authority fetched the content, the first time (EN: ContentHandover). */
    OPENED("opened", "ContentHandover"),
    /** The recipient authority accepts to act on the request (EN: ConsignmentAcceptance). */
    ACKNOWLEDGED("acknowledged", "ConsignmentAcceptance"),
    /** The recipient authority declines the request, with a reason code (EN: ConsignmentRejection). */
    DECLINED("declined", "ConsignmentRejection"),
    /** The request's respond-by time passed with no answer received (EN, by analogy: AcceptanceRejectionExpiry). */
    DEADLINE_PASSED("deadline-passed", "AcceptanceRejectionExpiry"),
    /** An answer to the request was sealed (by its recipient) or received (by its sender). No EN 319 522 event. */
    ANSWERED("answered", null);

    /** The prefix of every event URI. */
    public static final String URI_PREFIX = "urn:liaison:evidence:1#";
    /** The prefix of EN 319 522-3's event identifiers. */
    public static final String ETSI_PREFIX = "http://uri.etsi.org/19522/Event/";

    private final String id;
    private final String etsi;

    EvidenceEvent(String id, String etsi) {
        this.id = id;
        this.etsi = etsi;
    }

    public String id() {
        return id;
    }

    public String uri() {
        return URI_PREFIX + id;
    }

    /** The EN 319 522 event's name, or {@code null} when the standard has no such event. */
    public String etsiName() {
        return etsi;
    }

    /** The event of a Liaison event URI; a clear error otherwise. */
    public static EvidenceEvent ofUri(String uri) throws ProtocolException {
        for (EvidenceEvent e : values()) {
            if (e.uri().equals(uri)) {
                return e;
            }
        }
        throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "evidence event: " + uri + " (expected one of " + URI_PREFIX + "...)");
    }

    /** The event of an id such as {@code relayed}; a clear error otherwise. */
    public static EvidenceEvent of(String id) throws ProtocolException {
        for (EvidenceEvent e : values()) {
            if (e.id.equals(id.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "evidence event: " + id);
    }

    /** Events that record a failure or refusal: they must say why. */
    public boolean needsReason() {
        return this == SUBMISSION_REFUSED || this == RELAY_FAILED || this == NOT_DELIVERED || this == DECLINED;
    }
}
