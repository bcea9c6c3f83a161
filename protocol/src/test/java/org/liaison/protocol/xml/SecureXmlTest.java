package org.liaison.protocol.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.w3c.dom.Document;

class SecureXmlTest {
    private static final XmlLimits SMALL = new XmlLimits(4096, 5, 4, 100, 50);

    private static ProtocolException refused(String xml, XmlLimits limits) {
        try {
            SecureXml.parse(xml.getBytes(StandardCharsets.UTF_8), limits);
        } catch (ProtocolException e) {
            return e;
        }
        throw new AssertionError("accepted: " + xml);
    }

    /** The validator a thread keeps is as strict after a refusal as before it, and a valid document passes between. */
    /** A fresh JDK identity transformer's bytes, as serialize made them before it kept one per thread. */
    private static byte[] freshly(org.w3c.dom.Node node) throws Exception {
        javax.xml.transform.Transformer t = javax.xml.transform.TransformerFactory.newInstance().newTransformer();
        t.setOutputProperty(javax.xml.transform.OutputKeys.ENCODING, "UTF-8");
        t.setOutputProperty(javax.xml.transform.OutputKeys.INDENT, "no");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        t.transform(new javax.xml.transform.dom.DOMSource(node), new javax.xml.transform.stream.StreamResult(out));
        return out.toByteArray();
    }

    /**
     * One transformer per thread serves document after document (an element too) with exactly the bytes a fresh one
     * makes: nothing of one document (its namespaces, its declaration, a non-ASCII text) carries into the next.
     */
    @Test
    void serializationsInARowAreEachAsAFreshTransformerMakesThem() throws Exception {
        String[] docs = {
            "<a:Root xmlns:a=\"urn:a\"><a:X y=\"1\">caf\u00e9 &amp; &lt;tea&gt;</a:X></a:Root>",
            "<Plain><Empty/><Text>  spaces kept  </Text></Plain>",
            "<b:Other xmlns:b=\"urn:b\" xmlns:c=\"urn:c\"><c:Y>\u4e2d\u6587</c:Y></b:Other>",
        };
        for (int round = 0; round < 2; round++) {
            for (String x : docs) {
                Document d = SecureXml.parse(x.getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
                assertThat(SecureXml.serialize(d)).isEqualTo(freshly(d));
                assertThat(SecureXml.serialize(d.getDocumentElement().getFirstChild())).isEqualTo(freshly(d.getDocumentElement().getFirstChild()));
            }
        }
        Document d = SecureXml.parse(docs[0].getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
        byte[][] other = new byte[1][];
        Thread t = new Thread(() -> other[0] = SecureXml.serialize(d));
        t.start();
        t.join();
        assertThat(other[0]).isEqualTo(SecureXml.serialize(d));
    }

    @Test
    void aThreadsValidatorStaysStrictAcrossRefusals() throws Exception {
        String valid = "<Error xmlns=\"urn:liaison:xml:1\" code=\"LIAISON:0001\" category=\"format\" retryable=\"false\">"
                + "<Message>m</Message></Error>";
        String invalid = valid.replace("<Message>m</Message>", "<Unexpected/>");
        String wrongAttribute = valid.replace("retryable=\"false\"", "retryable=\"perhaps\"");
        for (int round = 0; round < 3; round++) {
            for (String bad : new String[] {invalid, wrongAttribute}) {
                Document d = SecureXml.parse(bad.getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
                assertThatThrownBy(() -> SecureXml.validate(d.getDocumentElement(), Formats.schema()))
                        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID));
            }
            Document ok = SecureXml.parse(valid.getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
            SecureXml.validate(ok.getDocumentElement(), Formats.schema());
        }
    }

    @Test
    void wellFormedDocumentParses() throws Exception {
        Document d = SecureXml.parse("<a xmlns='urn:x'><b c='1'>text</b></a>".getBytes(StandardCharsets.UTF_8), SMALL);
        assertThat(d.getDocumentElement().getLocalName()).isEqualTo("a");
        assertThat(d.getDocumentElement().getNamespaceURI()).isEqualTo("urn:x");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // internal entity
        "<!DOCTYPE a [<!ENTITY x 'boom'>]><a>&x;</a>",
        // external entity
        "<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>",
        // parameter entity fetching an external DTD
        "<!DOCTYPE a [<!ENTITY % p SYSTEM 'http://127.0.0.1:1/evil.dtd'> %p;]><a/>",
        // billion laughs
        "<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
            + "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]><lolz>&lol3;</lolz>",
        // external DTD
        "<!DOCTYPE a SYSTEM 'http://127.0.0.1:1/a.dtd'><a/>",
    })
    void anyDoctypeIsRefused(String xml) {
        ProtocolException e = refused(xml, XmlLimits.DEFAULT);
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_XML);
        assertThat(e.getMessage()).containsIgnoringCase("DOCTYPE");
        assertThat(e.getMessage()).doesNotContain("root:");
    }

    @Test
    void xincludeIsNotProcessed() throws Exception {
        Document d = SecureXml.parse(("<a xmlns:xi='http://www.w3.org/2001/XInclude'>"
                + "<xi:include href='file:///etc/passwd' parse='text'/></a>").getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
        // The include element stays an inert element: nothing was fetched.
        assertThat(d.getDocumentElement().getTextContent()).isEmpty();
        assertThat(d.getDocumentElement().getFirstChild().getLocalName()).isEqualTo("include");
    }

    @Test
    void sizeLimitIsEnforcedBeforeParsing() {
        String big = "<a>" + "x".repeat(5000) + "</a>";
        ProtocolException e = refused(big, SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("exceeds the limit of 4096");
    }

    @Test
    void depthLimitIsEnforced() {
        ProtocolException e = refused("<a><a><a><a><a><a><a></a></a></a></a></a></a></a>", SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
    }

    /** Parsers are reused per thread: what one document did (accepted or refused) changes nothing for the next. */
    @Test
    void aReusedParserKeepsEveryLimitAndRefusalAfterGoodAndBadDocuments() throws Exception {
        String deep = "<a><a><a><a><a><a><a></a></a></a></a></a></a></a>";
        String doctype = "<!DOCTYPE a [<!ENTITY x 'boom'>]><a>&x;</a>";
        for (int i = 0; i < 3; i++) {
            assertThat(SecureXml.parse("<a><b/></a>".getBytes(java.nio.charset.StandardCharsets.UTF_8), SMALL).getDocumentElement()
                    .getLocalName()).isEqualTo("a");
            assertThat(refused(deep, SMALL).code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
            assertThat(refused(doctype, XmlLimits.DEFAULT).getMessage()).containsIgnoringCase("DOCTYPE");
            assertThat(refused("<a b='1' c='2' d='3' e='4' f='5'/>", SMALL).code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
            assertThat(refused("<a><b></a>", SMALL).code()).isEqualTo(ErrorCode.MALFORMED_XML);
        }
    }

    @Test
    void attributeLimitIsEnforced() {
        ProtocolException e = refused("<a b='1' c='2' d='3' e='4' f='5'/>", SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
    }

    @Test
    void textLengthLimitIsEnforced() {
        ProtocolException e = refused("<a>" + "y".repeat(101) + "</a>", SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("longer than 100");
        ProtocolException attr = refused("<a b='" + "y".repeat(101) + "'/>", SMALL);
        assertThat(attr.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
    }

    @Test
    void elementCountLimitIsEnforced() {
        ProtocolException e = refused("<a>" + "<b/>".repeat(60) + "</a>", SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.XML_LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("more than 50 elements");
    }

    @Test
    void commentsAndProcessingInstructionsAreRefused() {
        assertThat(refused("<a><!-- hidden from signatures --></a>", SMALL).getMessage()).contains("comments");
        assertThat(refused("<a><?php evil ?></a>", SMALL).getMessage()).contains("processing instructions");
    }

    @Test
    void malformedInputIsRefusedWithPosition() {
        ProtocolException e = refused("<a><b></a>", SMALL);
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_XML);
        assertThat(e.getMessage()).contains("line 1");
    }

    @Test
    void serializeRoundTripsExactly() throws Exception {
        byte[] in = "<a xmlns=\"urn:x\"><b c=\"1\">t</b></a>".getBytes(StandardCharsets.UTF_8);
        Document d = SecureXml.parse(in, SMALL);
        Document again = SecureXml.parse(SecureXml.serialize(d), SMALL);
        assertThat(again.getDocumentElement().getTextContent()).isEqualTo("t");
        assertThatThrownBy(() -> SecureXml.root(again, "urn:y", "a")).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("expected a <a> document in urn:y");
    }
}
