package org.liaison.protocol;

/**
 * The closed set of protocol errors. Codes are stable on the wire ({@code LIAISON:0001}…) and never
 * reused; the category and whether a retry can help travel with them. Messages sent to peers
 * never contain stack traces or internal detail.
 */
public enum ErrorCode {
    MALFORMED_XML(1, Category.FORMAT, false),
    XML_LIMIT_EXCEEDED(2, Category.FORMAT, false),
    SCHEMA_INVALID(3, Category.FORMAT, false),
    ALGORITHM_REJECTED(4, Category.SECURITY, false),
    SIGNATURE_STRUCTURE_REJECTED(5, Category.SECURITY, false),
    SIGNATURE_INVALID(6, Category.SECURITY, false),
    SIGNER_NOT_TRUSTED(7, Category.SECURITY, false),
    DECRYPTION_FAILED(8, Category.SECURITY, false),
    DIRECTORY_ROLLBACK(9, Category.POLICY, false),
    DIRECTORY_EXPIRED(10, Category.POLICY, false),
    UNKNOWN_AUTHORITY(11, Category.POLICY, false),
    NOT_A_RECIPIENT(12, Category.POLICY, false),
    SENDER_MISMATCH(13, Category.SECURITY, false),
    DIGEST_MISMATCH(14, Category.SECURITY, false),
    PAYLOAD_CORRUPT(15, Category.SECURITY, false),
    MESSAGE_EXPIRED(16, Category.POLICY, false),
    RECEIPT_MISMATCH(17, Category.SECURITY, false),
    UNAUTHORIZED(18, Category.SECURITY, false),
    PAYLOAD_TOO_LARGE(19, Category.POLICY, false),
    UNAVAILABLE(20, Category.TRANSPORT, true),
    TIMEOUT(21, Category.TRANSPORT, true),
    INTERNAL(22, Category.INTERNAL, true),
    DIRECTORY_CONFLICT(23, Category.POLICY, false),
    UNKNOWN_JIT(24, Category.POLICY, false),
    NOT_FOUND(25, Category.POLICY, false),
    /** A message id already held from another sender: ids are scoped to their sender, lookups must stay unambiguous. */
    MESSAGE_ID_CONFLICT(26, Category.POLICY, false),
    /** The signed manifest inside an envelope does not match it (another authority's package relayed, other addressees, sizes). */
    PACKAGE_MISMATCH(27, Category.SECURITY, false),
    /** An idempotency key reused for a different package. */
    IDEMPOTENCY_CONFLICT(28, Category.POLICY, false),
    /** The node cannot write durably (disk full): nothing was accepted; try later. */
    STORAGE_FULL(29, Category.TRANSPORT, true),
    /** Data this node stored no longer matches its digest: an incident for the operator. */
    STORED_DATA_CORRUPT(30, Category.INTERNAL, false),
    /** An operator set this message aside; it is not served. */
    QUARANTINED(31, Category.POLICY, false),
    /** A resumed transfer starts at another offset than the receiver holds, or with another envelope: ask where to resume, then retry. */
    RESUME_MISMATCH(32, Category.TRANSPORT, true),
    /** The package carries a protection mark (minor-involved, victim-data, witness-protected) the person holds no clearance for. */
    CLEARANCE_REQUIRED(33, Category.SECURITY, false),
    /** A file received under no-onward-transfer would go to a third authority: refused by the recipient's own node. */
    ONWARD_TRANSFER_REFUSED(34, Category.POLICY, false),
    /** Need to know: the message belongs to a case the person is not assigned to. */
    NOT_ASSIGNED(35, Category.POLICY, false),
    /** A reply is not addressed to the sender of the message it answers (other addressees may be added, not put in its place). */
    REPLY_NOT_TO_SENDER(36, Category.POLICY, false),
    /** A broken upload was not kept for a resume: its person's share of parked uploads (or the node's) was full. Send it whole. */
    PARKED_UPLOADS_FULL(42, Category.TRANSPORT, true),
    /** HTTP/1.1 pipelining: a request sent before the answer to the previous one was dropped and the connection closed. Send it again. */
    PIPELINING_REFUSED(43, Category.TRANSPORT, true),
    /**
     * Both gateways announce hybrid TLS (X25519MLKEM768) in the directory, but the handshake negotiated a classical
     * group: the connection is refused (no downgrade). Retryable: while a new directory reaches the nodes, one of the
     * two may not offer the group yet; once both have it, the next attempt is hybrid.
     */
    TLS_DOWNGRADE_REFUSED(46, Category.SECURITY, true),
    /** The node has had no RFC 3161 time-stamp from its TSA for longer than it may (timestamping.maxWithout): no new submissions until it has. */
    TRUSTED_TIME_UNAVAILABLE(58, Category.TRANSPORT, true);

    public enum Category {
        SECURITY, FORMAT, POLICY, TRANSPORT, INTERNAL;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final int number;
    private final Category category;
    private final boolean retryable;

    ErrorCode(int number, Category category, boolean retryable) {
        this.number = number;
        this.category = category;
        this.retryable = retryable;
    }

    /** The wire code, e.g. {@code LIAISON:0006}. */
    public String code() {
        return String.format("LIAISON:%04d", number);
    }

    public Category category() {
        return category;
    }

    /** Whether sending the same thing again later can succeed. */
    public boolean isRetryable() {
        return retryable;
    }

    public static ErrorCode fromCode(String code) {
        for (ErrorCode c : values()) {
            if (c.code().equals(code)) {
                return c;
            }
        }
        throw new IllegalArgumentException("error code: " + code + " (not a Liaison error code)");
    }
}
