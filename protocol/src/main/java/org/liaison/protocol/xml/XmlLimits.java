package org.liaison.protocol.xml;

/**
 * Limits for one kind of XML document, enforced by {@link SecureXml}.
 *
 * @param maxBytes total size of the document
 * @param maxDepth element nesting depth
 * @param maxAttributes attributes on one element (namespace declarations included)
 * @param maxTextLength characters in one text node or attribute value
 * @param maxElements elements in the whole document
 */
public record XmlLimits(int maxBytes, int maxDepth, int maxAttributes, int maxTextLength, int maxElements) {
    /** Envelopes, manifests, receipts, errors. */
    public static final XmlLimits DEFAULT = new XmlLimits(4 << 20, 24, 16, 2 << 20, 20_000);
    /** The federation directory, which lists certificates of every authority. */
    public static final XmlLimits DIRECTORY = new XmlLimits(32 << 20, 16, 16, 64 << 10, 100_000);

    public XmlLimits {
        if (maxBytes <= 0 || maxDepth <= 0 || maxAttributes <= 0 || maxTextLength <= 0 || maxElements <= 0) {
            throw new IllegalArgumentException("XML limits must all be > 0: " + this);
        }
    }
}
