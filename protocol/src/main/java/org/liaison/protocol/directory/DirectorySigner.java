package org.liaison.protocol.directory;

import org.liaison.certs.Credential;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.w3c.dom.Document;

/** The federation operator's side: sign a directory with the directory-signing credential. */
public final class DirectorySigner {
    private DirectorySigner() {}

    /**
     * Signs {@code directory} and returns the exact bytes to publish. The directory is checked
     * first (schema, and that it reads back as a valid {@link FederationDirectory}) so that an
     * operator cannot publish one that every gateway would refuse.
     */
    public static byte[] sign(Directory directory, Credential operatorSigning) throws ProtocolException {
        Document doc = Formats.toDocument(directory);
        Formats.fromElement(doc.getDocumentElement(), Directory.class);
        XmlSignatures.sign(doc, operatorSigning);
        byte[] xml = SecureXml.serialize(doc);
        FederationDirectory.of(directory, xml);
        return xml;
    }
}
