package org.liaison.protocol;

import java.util.UUID;
import org.liaison.protocol.model.Error;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/** The {@code <Error>} document a gateway answers with: a stable code, category, retry hint and one sentence. */
public final class ErrorDocuments {
    private static final int MAX_MESSAGE = 1000;

    private ErrorDocuments() {}

    public static byte[] write(ErrorCode code, String message, UUID messageId) {
        Error e = new Error();
        e.setCode(code.code());
        e.setCategory(code.category().id());
        e.setRetryable(code.isRetryable());
        // One line, bounded: nothing that could carry a stack trace or a header injection.
        String m = message == null ? "" : message.replaceAll("[\\p{Cntrl}]+", " ");
        e.setMessage(m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "…" : m);
        e.setMessageId(messageId == null ? null : messageId.toString());
        return SecureXml.serialize(Formats.toDocument(e));
    }

    /** Reads a peer's error as an exception carrying its code and message. */
    public static ProtocolException read(byte[] xml) throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        SecureXml.root(doc, Formats.NS, "Error");
        Error e = Formats.fromElement(doc.getDocumentElement(), Error.class);
        ErrorCode code;
        try {
            code = ErrorCode.fromCode(e.getCode());
        } catch (IllegalArgumentException x) {
            code = ErrorCode.INTERNAL;
        }
        return new ProtocolException(code, e.getMessage());
    }
}
