package org.liaison.protocol.xml;

import java.util.ArrayList;
import java.util.List;
import org.liaison.protocol.model.Envelope;
import org.liaison.protocol.model.Evidence;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.model.Notice;
import org.liaison.protocol.model.Receipt;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The content the schema skips ({@code xs:any processContents="skip"}: a document's {@code ds:Signature}, an envelope's
 * {@code xenc:EncryptedKey} per recipient and the {@code xenc:EncryptedData} of its manifest), taken out of a validated
 * tree while JAXB reads the rest, put back exactly where it was, and then set in the model as the very elements of the
 * tree. JAXB would copy each into a document of its own, through a new transformer and a new DOM parser per element: a
 * tenth of a receiving node's CPU on small messages ({@code scripts/bench-messages} under a flight recording). Only
 * the places named above are taken, and not in a directory (see {@link #detach}); anything else is read by JAXB as
 * before. The tree is the caller's own, parsed for this reading and not shared with another thread; the model then holds
 * it (the documents read so are small, and their models short-lived).
 */
final class SkippedContent {
    /** One element taken out: where it was ({@code parent}, before {@code next}), and whose {@code any} it is. */
    private record Taken(Element element, Node parent, Node next, Holder holder, int index) {}

    /** The model objects that hold skipped content. */
    private enum Holder { ROOT, RECIPIENT, ENCRYPTED_MANIFEST }

    private static final SkippedContent NONE = new SkippedContent(List.of());

    private final List<Taken> taken;
    private boolean restored;

    private SkippedContent(List<Taken> taken) {
        this.taken = taken;
    }

    /** Takes the skipped content out of {@code root}'s tree (see the class comment); {@link #restore} puts it back. */
    static SkippedContent detach(Element root) {
        // A directory is read seldom and its model kept for long: its signature stays a copy of its own, so that the model
        // does not hold the whole parsed tree in memory.
        if (!Formats.NS.equals(root.getNamespaceURI()) || "Directory".equals(root.getLocalName())) {
            return NONE;
        }
        List<Taken> out = new ArrayList<>();
        take(root, Holder.ROOT, 0, out);
        if ("Envelope".equals(root.getLocalName())) {
            int recipient = 0;
            for (Node c = root.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (c.getNodeType() == Node.ELEMENT_NODE && Formats.NS.equals(c.getNamespaceURI())) {
                    if ("Recipient".equals(c.getLocalName())) {
                        take((Element) c, Holder.RECIPIENT, recipient++, out);
                    } else if ("EncryptedManifest".equals(c.getLocalName())) {
                        take((Element) c, Holder.ENCRYPTED_MANIFEST, 0, out);
                    }
                }
            }
        }
        if (out.isEmpty()) {
            return NONE;
        }
        for (Taken t : out) {
            t.parent().removeChild(t.element());
        }
        return new SkippedContent(out);
    }

    /** The one element of a signature's or encryption's namespace under {@code holder}, if it holds exactly one. */
    private static void take(Element holder, Holder kind, int index, List<Taken> out) {
        Element found = null;
        for (Node c = holder.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeType() == Node.ELEMENT_NODE && (Formats.DSIG_NS.equals(c.getNamespaceURI())
                    || Formats.XENC_NS.equals(c.getNamespaceURI()))) {
                if (found != null) {
                    return; // not a shape the schema accepts: left to JAXB
                }
                found = (Element) c;
            }
        }
        if (found != null) {
            out.add(new Taken(found, holder, found.getNextSibling(), kind, index));
        }
    }

    /** Puts every element back where it was (the last taken first, so that each one's next sibling is in place). */
    void restore() {
        if (restored) {
            return;
        }
        restored = true;
        for (int i = taken.size() - 1; i >= 0; i--) {
            Taken t = taken.get(i);
            t.parent().insertBefore(t.element(), t.next());
        }
    }

    /**
     * Sets each element in the model read from the tree ({@link #restore} first).
     *
     * @return false when the model has no place for one of them (the caller then reads the tree with JAXB alone)
     */
    boolean attachTo(Object model) {
        for (Taken t : taken) {
            if (!attach(model, t)) {
                return false;
            }
        }
        return true;
    }

    private static boolean attach(Object model, Taken t) {
        Element e = t.element();
        switch (t.holder()) {
            case ROOT -> {
                if (model instanceof Envelope x) {
                    x.setAny(e);
                } else if (model instanceof Evidence x) {
                    x.setAny(e);
                } else if (model instanceof Receipt x) {
                    x.setAny(e);
                } else if (model instanceof Manifest x) {
                    x.setAny(e);
                } else if (model instanceof Notice x) {
                    x.setAny(e);
                } else {
                    return false;
                }
                return true;
            }
            case RECIPIENT -> {
                if (!(model instanceof Envelope x) || t.index() >= x.getRecipient().size()) {
                    return false;
                }
                x.getRecipient().get(t.index()).setAny(e);
                return true;
            }
            case ENCRYPTED_MANIFEST -> {
                if (!(model instanceof Envelope x) || x.getEncryptedManifest() == null) {
                    return false;
                }
                x.getEncryptedManifest().setAny(e);
                return true;
            }
            default -> {
                return false;
            }
        }
    }
}
