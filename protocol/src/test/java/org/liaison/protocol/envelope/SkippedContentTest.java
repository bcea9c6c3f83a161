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

        // What JAXB alone reads from the same bytes: the same header, and equal (copied) elements.
        Envelope copied = (Envelope) JAXBContext.newInstance(ObjectFactory.class).createUnmarshaller()
                .unmarshal(SecureXml.parse(s.envelope(), XmlLimits.DEFAULT).getDocumentElement());
        assertThat(copied.getAny()).isNotSameAs(e.getAny());
        assertThat(copied.getAny().isEqualNode(e.getAny())).isTrue();
        for (int i = 0; i < 2; i++) {
            assertThat(copied.getRecipient().get(i).getAny().isEqualNode(e.getRecipient().get(i).getAny())).isTrue();
        }
        assertThat(copied.getEncryptedManifest().getAny().isEqualNode(e.getEncryptedManifest().getAny())).isTrue();
        assertThat(copied.getHeader().getMessageId()).isEqualTo(e.getHeader().getMessageId());

        // The envelope still verifies and opens for each recipient after that reading (Envelopes.verify reads it so).
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, US);
        assertThat(Envelopes.open(v, US, f.authority(US).encryption().decryptionKey()).manifestXml()).isEqualTo(s.manifest());
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
