package org.liaison.gateway.local;

import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/**
 * Whether a person may read a received message: the one place that decides it, for every use of the
 * message — fetching it, acknowledging or declining it, answering it. It opens the envelope once; the
 * caller uses what it opened ({@link Readable}) for the rest of the request.
 */
final class ReadAccess {
    private static final Logger LOG = LogManager.getLogger(LocalApiHandler.class);

    /** Opens a stored envelope (one parse per request: the services count on it). */
    interface Opener {
        Readable open(MessageStore.Received r) throws ProtocolException;
    }

    /** What a person does with a received message; each needs the right to read it. */
    enum Use {
        FETCH("fetch-refused", "open"),
        ACKNOWLEDGE("fetch-refused", "acknowledge"),
        DECLINE("fetch-refused", "decline"),
        /** A submission in reply to it ({@code X-Liaison-In-Reply-To}): it settles the request on both sides. */
        ANSWER("submit-refused", "answer");

        /** The audit event of a refusal. */
        final String refused;
        final String verb;

        Use(String refused, String verb) {
            this.refused = refused;
            this.verb = verb;
        }
    }

    /** A received message a person may read: its envelope, opened, and its manifest. */
    record Readable(Envelopes.Stored envelope, Envelopes.Opened opened, Manifest manifest) {}

    private final LocalNode node;
    private final Opener opener;

    ReadAccess(LocalNode node) {
        this(node, parsing(node));
    }

    /** Opens a stored envelope with the node's decryption keys: verified against its digest, decrypted, its manifest parsed. */
    static Opener parsing(LocalNode node) {
        return r -> {
            Envelopes.Stored env = Envelopes.readStored(r.envelope(), r.envelopeSha256());
            Envelopes.Opened o = Envelopes.open(env, node.me(), node.decryptionKeys());
            Manifest m = Formats.fromElement(SecureXml.parse(o.manifestXml(), XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
            return new Readable(env, o, m);
        };
    }

    ReadAccess(LocalNode node, Opener opener) {
        this.node = node;
        this.opener = opener;
    }

    /** Need to know: what this user may follow and see (see {@link CaseAccess}). */
    CaseAccess.View view(LocalUser user) {
        return CaseAccess.view(node.store(), user, node.caseAccess());
    }

    /** Opens a stored envelope and its manifest (no access check: listings fill their columns with it). */
    Readable open(MessageStore.Received r) throws ProtocolException {
        return opener.open(r);
    }

    /**
     * Whether this person may read a received message. Refused when an operator set it aside
     * (LIAISON:0031), when it belongs to a case the person is not on (need to know, LIAISON:0035), or when
     * its protection marks need a clearance the person's certificate does not carry (LIAISON:0033). Each
     * refusal is audited ({@link Use#refused}) and changes nothing.
     */
    Readable readable(LocalUser user, MessageStore.Received r, Use use) throws ProtocolException {
        String id = r.messageId().toString();
        if (r.quarantine() != null) {
            node.audit().record(AuditEvent.of(node.clock(), use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.QUARANTINED.code() + " quarantined").with("use", use.verb));
            throw new ProtocolException(ErrorCode.QUARANTINED, "message " + id + " was set aside by an operator: " + r.quarantine());
        }
        Readable read = opener.open(r);
        Envelopes.Stored env = read.envelope();
        Manifest m = read.manifest();
        if (!view(user).sees(m.getCase(), env.header().inReplyTo())) {
            node.audit().record(AuditEvent.of(node.clock(), use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.NOT_ASSIGNED.code() + " not assigned to the case").about(env.header()).with("use", use.verb));
            throw new ProtocolException(ErrorCode.NOT_ASSIGNED, "message " + id + " belongs to case " + m.getCase()
                    + ", which you are not assigned to, so you may not " + use.verb + " it (an operator assigns people to cases:"
                    + " liaison cases assign)");
        }
        List<String> missing = user.missingClearances(m.getHandling().getFlag().stream().map(HandlingFlag::value).toList());
        if (!missing.isEmpty()) {
            node.audit().record(AuditEvent.of(node.clock(), use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.CLEARANCE_REQUIRED.code() + " no clearance for " + String.join(", ", missing)).about(env.header())
                    .with("use", use.verb));
            LOG.warn("refused message {} to {} ({}): no clearance for {}", id, user.actor(), use.verb, missing);
            throw new ProtocolException(ErrorCode.CLEARANCE_REQUIRED, "message " + id + " is marked " + String.join(", ", missing)
                    + ": only a person whose certificate carries that clearance may " + use.verb + " it (ask your national CA;"
                    + " liaison certs issue --clearance)");
        }
        return read;
    }

    /** Stored evidence that no longer reads as it was stored is an incident: an error line and a metric. */
    void storedDataIncident(MessageStore.Received r, String problem) {
        if (!node.metrics().storedDataFailure(r.messageId())) {
            return; // known already: one error line and one count per message
        }
        LOG.error("STORED DATA: message {} from {} cannot be read: {} (quarantine it with 'liaison quarantine' and restore it"
                + " from a backup)", r.messageId(), r.sender(), problem);
    }

    static java.util.UUID parseId(String s) throws ProtocolException {
        try {
            return java.util.UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "message id: " + s + " (expected a UUID)");
        }
    }

    /** A URL-encoded header's value (null: absent). */
    static String decoded(String value, String header) throws ProtocolException {
        try {
            return value == null ? null : java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, header + ": not URL-encoded UTF-8");
        }
    }
}
