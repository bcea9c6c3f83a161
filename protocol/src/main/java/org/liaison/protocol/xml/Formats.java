package org.liaison.protocol.xml;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBElement;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.Unmarshaller;
import java.time.Instant;
import java.util.GregorianCalendar;
import java.util.TimeZone;
import javax.xml.datatype.DatatypeConfigurationException;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.validation.Schema;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.ObjectFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The binding between Liaison's XML formats (namespace {@value #NS}) and the JAXB model
 * generated from {@code liaison-1.xsd}. Unmarshalling always validates against the schema first
 * and reads from a DOM that {@link SecureXml} produced — never from a raw stream.
 */
public final class Formats {
    public static final String NS = "urn:liaison:xml:1";
    public static final String DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
    public static final String XENC_NS = "http://www.w3.org/2001/04/xmlenc#";

    private static final JAXBContext CONTEXT;
    private static final Schema SCHEMA;
    private static final DatatypeFactory DATATYPES;

    /** The JDK's own XSLT transformer factory: what the JAXP lookup finds when no other is installed. */
    static final String JDK_TRANSFORMER_FACTORY = "com.sun.org.apache.xalan.internal.xsltc.trax.TransformerFactoryImpl";

    static {
        // JAXB builds the DOM of every xs:any element it reads (a signature, each encrypted key) through a new
        // TransformerFactory, and the JAXP lookup behind it scans every jar of the class path for a provider each
        // time (a ServiceLoader): a sixth of a node's CPU on small messages. Naming the JDK's own factory, which
        // that scan ends with here anyway, makes it a class lookup. An explicit setting is left alone.
        if (System.getProperty(javax.xml.transform.TransformerFactory.class.getName()) == null && !hasTransformerProvider()) {
            System.setProperty(javax.xml.transform.TransformerFactory.class.getName(), JDK_TRANSFORMER_FACTORY);
        }
        try {
            CONTEXT = JAXBContext.newInstance(ObjectFactory.class);
            DATATYPES = DatatypeFactory.newInstance();
        } catch (JAXBException | DatatypeConfigurationException e) {
            throw new ExceptionInInitializerError(e);
        }
        SCHEMA = SecureXml.schema(Formats.class.getResource("/org/liaison/protocol/liaison-1.xsd"));
    }

    private Formats() {}

    /** Whether a jar on the class path offers a TransformerFactory of its own (then the lookup keeps choosing). */
    private static boolean hasTransformerProvider() {
        return java.util.ServiceLoader.load(javax.xml.transform.TransformerFactory.class).stream().findAny().isPresent();
    }

    /** JAXB marshallers and unmarshallers are not thread-safe and cost more to make than to use: one of each per thread. */
    private static final ThreadLocal<Marshaller> MARSHALLERS = ThreadLocal.withInitial(() -> {
        try {
            Marshaller m = CONTEXT.createMarshaller();
            m.setProperty(Marshaller.JAXB_ENCODING, "UTF-8");
            return m;
        } catch (JAXBException e) {
            throw new IllegalStateException("cannot make a JAXB marshaller", e);
        }
    });
    private static final ThreadLocal<Unmarshaller> UNMARSHALLERS = ThreadLocal.withInitial(() -> {
        try {
            return CONTEXT.createUnmarshaller();
        } catch (JAXBException e) {
            throw new IllegalStateException("cannot make a JAXB unmarshaller", e);
        }
    });

    public static Schema schema() {
        return SCHEMA;
    }

    /** Marshals a model root object into a new DOM document. */
    public static Document toDocument(Object root) {
        try {
            Document doc = SecureXml.newDocument();
            MARSHALLERS.get().marshal(root, doc);
            return doc;
        } catch (JAXBException e) {
            throw new IllegalArgumentException("cannot marshal " + root.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Validates {@code root} against the schema and unmarshals it.
     *
     * @throws ProtocolException SCHEMA_INVALID when the element does not follow the schema or is not a {@code type}
     */
    /** Checks a document this program made against the schema (before it is signed): a clear error, no model read. */
    public static void validate(Element root) throws ProtocolException {
        SecureXml.validate(root, SCHEMA);
    }

    /**
     * The model of what a signature verified: {@code claimed} (read from {@code claimedRoot} before the
     * verification, to find the signer) when the signature's reference resolved to that very element — the
     * same nodes, read already — else a fresh reading of {@code verifiedRoot}.
     */
    public static <T> T verified(Element verifiedRoot, Element claimedRoot, T claimed, Class<T> type) throws ProtocolException {
        return verifiedRoot == claimedRoot ? claimed : fromElement(verifiedRoot, type);
    }

    public static <T> T fromElement(Element root, Class<T> type) throws ProtocolException {
        SecureXml.validate(root, SCHEMA);
        // The signature and encrypted parts (xs:any, skipped by the schema) are not copied by JAXB: the model holds the
        // tree's own elements (see SkippedContent). The tree is restored before anything else reads it.
        SkippedContent skipped = SkippedContent.detach(root);
        Object o;
        try {
            o = unmarshal(root);
        } finally {
            skipped.restore();
        }
        if (!skipped.attachTo(o)) {
            o = unmarshal(root); // a model with no place for them: JAXB reads them as before
        }
        if (!type.isInstance(o)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "expected a " + type.getSimpleName() + " document, got "
                    + root.getLocalName());
        }
        return type.cast(o);
    }

    private static Object unmarshal(Element root) throws ProtocolException {
        try {
            Object o = UNMARSHALLERS.get().unmarshal(root);
            return o instanceof JAXBElement<?> j ? j.getValue() : o;
        } catch (JAXBException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "document cannot be read: " + e.getMessage());
        }
    }

    /**
     * The earliest instant a Liaison document may carry: nothing in a federation predates it, and a
     * time before it is a mistake or an attack, never a date to act on.
     */
    public static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");

    /**
     * The latest instant a Liaison document may carry. Beyond it a year has five digits, and a time
     * near the end of {@code long} milliseconds (year 292278994) overflows the calendar arithmetic
     * silently: a deadline of year 292278995 became one of year -292275054, "overdue".
     */
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * {@code instant}, when it lies between {@link #EARLIEST} and {@link #LATEST}.
     *
     * @param what what the time is, for the error ("RespondBy", "--respond-by")
     * @throws ProtocolException ({@link ErrorCode#SCHEMA_INVALID}) otherwise
     */
    public static Instant inRange(Instant instant, String what) throws ProtocolException {
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw outOfRange(what, instant.toString());
        }
        return instant;
    }

    private static ProtocolException outOfRange(String what, String value) {
        return new ProtocolException(ErrorCode.SCHEMA_INVALID, what + ": " + value + " (expected: a time between " + EARLIEST + " and "
                + LATEST + ")");
    }

    /** An xs:dateTime of {@code instant}, which must lie between {@link #EARLIEST} and {@link #LATEST}. */
    public static XMLGregorianCalendar time(Instant instant) {
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw new IllegalArgumentException("time: " + instant + " (expected: between " + EARLIEST + " and " + LATEST + ")");
        }
        GregorianCalendar c = new GregorianCalendar(TimeZone.getTimeZone("UTC"));
        c.setTimeInMillis(instant.toEpochMilli());
        return DATATYPES.newXMLGregorianCalendar(c);
    }

    /**
     * An instant from an xs:dateTime; a time without a zone is refused rather than guessed, and one
     * outside {@link #EARLIEST} to {@link #LATEST} is refused before any calendar arithmetic (which
     * would overflow silently far out). Every time read from a Liaison document comes through here.
     */
    public static Instant instant(XMLGregorianCalendar c) throws ProtocolException {
        if (c == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a required time is missing");
        }
        if (c.getTimezone() == javax.xml.datatype.DatatypeConstants.FIELD_UNDEFINED) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "time " + c + " has no time zone (expected e.g. 2026-11-28T10:00:00Z)");
        }
        // A year in range first (its eon is null below a billion): the zone moves a time by 14 hours at most.
        if (c.getEon() != null || c.getYear() == javax.xml.datatype.DatatypeConstants.FIELD_UNDEFINED || c.getYear() < 1969
                || c.getYear() > 10000) {
            throw outOfRange("time", c.toXMLFormat());
        }
        return inRange(c.toGregorianCalendar().toInstant(), "time");
    }
}
