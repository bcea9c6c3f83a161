package org.liaison.protocol.xml;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * The one entry point for XML input. Every XML document Liaison reads goes through
 * {@link #parse}; JAXB only ever reads the DOM it returns.
 *
 * <p><b>Security guarantees.</b> No DOCTYPE is accepted (so no internal or external entities,
 * parameter entities or entity expansion), no external DTD or schema is fetched, XInclude is
 * off, JAXP secure processing is on. The input is read up to {@link XmlLimits#maxBytes} and
 * refused beyond it; element depth, attributes per element, text length and element count are
 * limited; comments and processing instructions are refused (none of our formats has them, and
 * they are invisible to signatures). Parse errors are reported without echoing the input.
 */
public final class SecureXml {
    private static final String ORACLE_PROPS = "http://www.oracle.com/xml/jaxp/properties/";

    private SecureXml() {}

    /**
     * One configured parser per thread and limits, reused (reset between documents): making a
     * factory and a parser costs more than parsing one of our documents (a service lookup in the
     * class path and a parser configuration each time). Factories are not thread-safe, so each
     * thread has its own; {@code reset()} restores the parser to its factory's configuration, and
     * the handlers are set again.
     */
    private static final ThreadLocal<java.util.Map<XmlLimits, DocumentBuilder>> BUILDERS =
            ThreadLocal.withInitial(java.util.HashMap::new);

    private static DocumentBuilder builder(XmlLimits limits) throws ProtocolException {
        DocumentBuilder b = BUILDERS.get().get(limits);
        if (b == null) {
            b = newBuilder(limits);
            BUILDERS.get().put(limits, b);
        } else {
            b.reset();
        }
        b.setErrorHandler(THROWING);
        b.setEntityResolver((publicId, systemId) -> {
            throw new SAXException("external entities are not allowed");
        });
        return b;
    }

    private static DocumentBuilder newBuilder(XmlLimits limits) throws ProtocolException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            // The JDK parser enforces these while parsing, before any tree is built.
            f.setAttribute(ORACLE_PROPS + "maxElementDepth", limits.maxDepth());
            f.setAttribute(ORACLE_PROPS + "elementAttributeLimit", limits.maxAttributes());
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException | IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "the XML parser cannot be configured securely", e);
        }
    }

    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
            // Warnings do not change what is accepted.
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    /** Parses a complete document held in memory. */
    public static Document parse(byte[] xml, XmlLimits limits) throws ProtocolException {
        if (xml.length > limits.maxBytes()) {
            throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED,
                    "XML document of " + xml.length + " bytes exceeds the limit of " + limits.maxBytes());
        }
        Document doc;
        try {
            doc = builder(limits).parse(new ByteArrayInputStream(xml));
        } catch (SAXParseException e) {
            String msg = String.valueOf(e.getMessage());
            ErrorCode code = msg.contains("maxElementDepth") || msg.contains("elementAttributeLimit")
                    || msg.contains("JAXP0001") ? ErrorCode.XML_LIMIT_EXCEEDED : ErrorCode.MALFORMED_XML;
            throw new ProtocolException(code, "XML refused at line " + e.getLineNumber() + ", column " + e.getColumnNumber()
                    + ": " + firstSentence(msg));
        } catch (SAXException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_XML, "XML refused: " + firstSentence(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_XML, "XML could not be read: " + e.getMessage());
        }
        checkTree(doc, limits);
        return doc;
    }

    /** Reads at most {@code limits.maxBytes()} from the stream, then parses. */
    public static Document parse(InputStream in, XmlLimits limits) throws ProtocolException {
        byte[] bytes;
        try {
            bytes = in.readNBytes(limits.maxBytes() + 1);
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_XML, "XML could not be read: " + e.getMessage());
        }
        return parse(bytes, limits);
    }

    private static String firstSentence(String s) {
        // Parser messages may quote input; keep them short and on one line.
        String one = s.replaceAll("[\\r\\n\\t]+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "…" : one;
    }

    /** Walks the tree iteratively (no recursion an attacker could exhaust) and applies the limits. */
    private static void checkTree(Document doc, XmlLimits limits) throws ProtocolException {
        if (doc.getDoctype() != null) {
            throw new ProtocolException(ErrorCode.MALFORMED_XML, "a DOCTYPE is not allowed");
        }
        int elements = 0;
        Node node = doc.getFirstChild();
        int depth = 1;
        while (node != null) {
            switch (node.getNodeType()) {
                case Node.ELEMENT_NODE:
                    elements++;
                    if (elements > limits.maxElements()) {
                        throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED,
                                "XML document has more than " + limits.maxElements() + " elements");
                    }
                    if (depth > limits.maxDepth()) {
                        throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED,
                                "XML nesting deeper than " + limits.maxDepth() + " elements");
                    }
                    NamedNodeMap attrs = node.getAttributes();
                    if (attrs.getLength() > limits.maxAttributes()) {
                        throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED, "element <" + node.getLocalName()
                                + "> has " + attrs.getLength() + " attributes, more than " + limits.maxAttributes());
                    }
                    for (int i = 0; i < attrs.getLength(); i++) {
                        if (((Attr) attrs.item(i)).getValue().length() > limits.maxTextLength()) {
                            throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED, "an attribute of <" + node.getLocalName()
                                    + "> is longer than " + limits.maxTextLength() + " characters");
                        }
                    }
                    break;
                case Node.TEXT_NODE:
                case Node.CDATA_SECTION_NODE:
                    if (node.getNodeValue().length() > limits.maxTextLength()) {
                        throw new ProtocolException(ErrorCode.XML_LIMIT_EXCEEDED, "text in <" + node.getParentNode().getLocalName()
                                + "> is longer than " + limits.maxTextLength() + " characters");
                    }
                    break;
                case Node.COMMENT_NODE:
                    throw new ProtocolException(ErrorCode.MALFORMED_XML, "XML comments are not allowed");
                case Node.PROCESSING_INSTRUCTION_NODE:
                    throw new ProtocolException(ErrorCode.MALFORMED_XML, "XML processing instructions are not allowed");
                case Node.ENTITY_REFERENCE_NODE:
                case Node.DOCUMENT_TYPE_NODE:
                    throw new ProtocolException(ErrorCode.MALFORMED_XML, "entities are not allowed");
                default:
                    break;
            }
            // Next node in document order.
            if (node.getFirstChild() != null) {
                node = node.getFirstChild();
                depth++;
                continue;
            }
            while (node != null && node.getNextSibling() == null) {
                node = node.getParentNode();
                depth--;
                if (node == doc) {
                    node = null;
                }
            }
            if (node != null) {
                node = node.getNextSibling();
            }
        }
    }

    private static final ThreadLocal<DocumentBuilder> EMPTY = ThreadLocal.withInitial(() -> {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("no XML document builder", e);
        }
    });

    /** A new empty document (one builder per thread makes them). */
    public static Document newDocument() {
        return EMPTY.get().newDocument();
    }

    private static final ThreadLocal<TransformerFactory> TRANSFORMERS = ThreadLocal.withInitial(() -> {
        try {
            TransformerFactory tf = TransformerFactory.newInstance();
            tf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            return tf;
        } catch (javax.xml.transform.TransformerConfigurationException e) {
            throw new IllegalStateException("no XML serializer", e);
        }
    });

    /**
     * Each thread's identity transformer, made and configured once (making one per document was a fifth of a
     * serialization's samples in bench-messages' short runs, little once compiled: its output properties are parsed and
     * an encoding looked up each time). A transformer keeps no
     * state between documents beyond its output properties, which never change here; one that failed is dropped.
     */
    private static final ThreadLocal<Transformer> SERIALIZERS = new ThreadLocal<>();

    /** Serializes exactly (no pretty-printing: that would break signatures), UTF-8, with an XML declaration. */
    public static byte[] serialize(Node node) {
        Transformer t = SERIALIZERS.get();
        SERIALIZERS.remove(); // in use: a serialization reached again from inside this one (none does) would make its own
        try {
            if (t == null) {
                t = TRANSFORMERS.get().newTransformer();
                t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
                t.setOutputProperty(OutputKeys.INDENT, "no");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            t.transform(new DOMSource(node), new StreamResult(out));
            SERIALIZERS.set(t); // kept only after a serialization that succeeded
            return out.toByteArray();
        } catch (TransformerException e) {
            throw new IllegalStateException("cannot serialize XML", e);
        }
    }

    /** Loads a schema from our own classpath resources (never from the network). */
    public static Schema schema(URL resource) {
        try {
            SchemaFactory sf = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
            sf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            sf.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            sf.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return sf.newSchema(resource);
        } catch (SAXException e) {
            throw new IllegalStateException("schema " + resource + " is invalid", e);
        }
    }

    /** Validates a parsed document (or element) against a schema. */
    public static void validate(Node node, Schema schema) throws ProtocolException {
        // One validator per thread and schema, kept after a validation that passed: making one builds a schema loader
        // and its parser configuration (about a third of a small document's validation, measured by bench-messages).
        // Never Validator.reset(): the JDK's leaves it without its security property manager (a NullPointerException at
        // the next validation); each validate() resets the validation state itself. One that refused a document, or
        // failed, is dropped and the next validation makes a new one.
        java.util.Map<Schema, Validator> mine = VALIDATORS.get();
        Validator v = mine.remove(schema);
        try {
            if (v == null) {
                v = schema.newValidator();
                v.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
                v.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
                v.setErrorHandler(THROWING);
            }
            v.validate(new DOMSource(node));
            mine.put(schema, v);
        } catch (SAXException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "document does not follow the schema: "
                    + firstSentence(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "document could not be validated: " + e.getMessage());
        }
    }

    /** Each thread's validators by schema (identity: the schemas are the formats' constants), see {@link #validate}. */
    private static final ThreadLocal<java.util.Map<Schema, Validator>> VALIDATORS =
            ThreadLocal.withInitial(java.util.IdentityHashMap::new);

    /** The root element, checked to be {@code localName} in {@code namespace}. */
    public static Element root(Document doc, String namespace, String localName) throws ProtocolException {
        Element root = doc.getDocumentElement();
        if (root == null || !namespace.equals(root.getNamespaceURI()) || !localName.equals(root.getLocalName())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "expected a <" + localName + "> document in " + namespace
                    + ", got <" + (root == null ? "nothing" : root.getLocalName()) + ">");
        }
        return root;
    }
}
