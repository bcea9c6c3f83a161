package org.liaison.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import jakarta.xml.bind.JAXBContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.protocol.model.Envelope;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.model.ObjectFactory;
import org.liaison.protocol.model.Recipient;
import org.liaison.protocol.testing.TestFederation;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * {@link Formats#fromElement} reads a document's skipped content (its signature, an envelope's encrypted key per
 * recipient and encrypted manifest) as the tree's own elements, not copies, leaves the tree exactly as it was, and
 * reads the same model as JAXB alone does.
 */
class SkippedContentTest {
    @TempDir
    Path dir;

    @Test
    void anEnvelopeIsReadWithTheTreesOwnElementsAndTheTreeIsLeftAsItWas() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        MessageFlowTest.Sent s = MessageFlowTest.send(f, IT, List.of(AL, US), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Document doc = SecureXml.parse(s.envelope(), XmlLimits.DEFAULT);
        byte[] before = SecureXml.serialize(doc);
        Element root = doc.getDocumentElement();

        Envelope e = Formats.fromElement(root, Envelope.class);

        assertThat(SecureXml.serialize(doc)).isEqualTo(before);
        Element signature = lastElementChild(root);
        assertThat(signature.getLocalName()).isEqualTo("Signature");
        assertThat(e.getAny()).isSameAs(signature);
        List<Element> recipients = children(root, "Recipient");
        assertThat(e.getRecipient()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Recipient r = e.getRecipient().get(i);
            assertThat(r.getAny()).isSameAs(lastElementChild(recipients.get(i)));
            assertThat(r.getAny().getAttribute("Recipient")).isEqualTo(r.getAuthority());
        }
        assertThat(e.getEncryptedManifest().getAny()).isSameAs(lastElementChild(children(root, "EncryptedManifest").get(0)));

        // What JAXB alone reads from the same bytes: the same header, and equal elements (copies that declare the namespaces
        // in scope, so that they stand alone).
        Envelope copied = (Envelope) JAXBContext.newInstance(ObjectFactory.class).createUnmarshaller()
                .unmarshal(SecureXml.parse(s.envelope(), XmlLimits.DEFAULT).getDocumentElement());
        assertThat(copied.getAny()).isNotSameAs(e.getAny());
        assertThat(same(copied.getAny(), e.getAny())).isTrue();
        for (int i = 0; i < 2; i++) {
            assertThat(same(copied.getRecipient().get(i).getAny(), e.getRecipient().get(i).getAny())).isTrue();
        }
        assertThat(same(copied.getEncryptedManifest().getAny(), e.getEncryptedManifest().getAny())).isTrue();
        assertThat(copied.getHeader().getMessageId()).isEqualTo(e.getHeader().getMessageId());

        // The envelope still verifies and opens for each recipient after that reading (Envelopes.verify reads it so).
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, US);
        byte[] opened = Envelopes.open(v, US, f.authority(US).encryption().decryptionKey()).manifestXml();
        assertThat(org.liaison.protocol.pkg.Manifests.verify(opened, f.trust(), f.now).from()).isEqualTo(IT);
    }

    @Test
    void aSignedManifestKeepsItsSignatureInPlace() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        MessageFlowTest.Sent s = MessageFlowTest.send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Document doc = SecureXml.parse(s.manifest(), XmlLimits.DEFAULT);
        byte[] before = SecureXml.serialize(doc);
        Manifest m = Formats.fromElement(doc.getDocumentElement(), Manifest.class);
        assertThat(m.getAny()).isSameAs(lastElementChild(doc.getDocumentElement()));
        assertThat(SecureXml.serialize(doc)).isEqualTo(before);
    }

    /**
     * The same elements, attributes and text, in the same order, whatever namespace declarations each carries and whatever
     * whitespace lies between elements (JAXB's copy leaves that out).
     */
    private static boolean same(org.w3c.dom.Node a, org.w3c.dom.Node b) {
        if (a.getNodeType() != b.getNodeType() || !java.util.Objects.equals(a.getNamespaceURI(), b.getNamespaceURI())
                || !java.util.Objects.equals(a.getLocalName(), b.getLocalName())) {
            return false;
        }
        if (a.getNodeType() == org.w3c.dom.Node.TEXT_NODE) {
            return a.getNodeValue().equals(b.getNodeValue());
        }
        if (a instanceof Element x && b instanceof Element y && !attributes(x).equals(attributes(y))) {
            return false;
        }
        List<org.w3c.dom.Node> c = content(a);
        List<org.w3c.dom.Node> d = content(b);
        if (c.size() != d.size()) {
            return false;
        }
        for (int i = 0; i < c.size(); i++) {
            if (!same(c.get(i), d.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static List<org.w3c.dom.Node> content(org.w3c.dom.Node n) {
        List<org.w3c.dom.Node> out = new java.util.ArrayList<>();
        for (org.w3c.dom.Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeType() != org.w3c.dom.Node.TEXT_NODE || !c.getNodeValue().isBlank() || n.getChildNodes().getLength() == 1) {
                out.add(c);
            }
        }
        return out;
    }

    private static java.util.Map<String, String> attributes(Element e) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (int i = 0; i < e.getAttributes().getLength(); i++) {
            org.w3c.dom.Attr a = (org.w3c.dom.Attr) e.getAttributes().item(i);
            if (!"http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI())) {
                out.put(a.getNamespaceURI() + "|" + a.getLocalName(), a.getValue());
            }
        }
        return out;
    }

    private static Element lastElementChild(Element e) {
        org.w3c.dom.Node n = e.getLastChild();
        while (n != null && n.getNodeType() != org.w3c.dom.Node.ELEMENT_NODE) {
            n = n.getPreviousSibling();
        }
        return (Element) n;
    }

    private static List<Element> children(Element e, String localName) {
        List<Element> out = new java.util.ArrayList<>();
        for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element x && localName.equals(x.getLocalName())) {
                out.add(x);
            }
        }
        return out;
    }
}
