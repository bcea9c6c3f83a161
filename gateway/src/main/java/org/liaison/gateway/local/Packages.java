package org.liaison.gateway.local;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SequentialReader;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadKeys;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.Manifest;

/**
 * {@code GET INBOX/ID}: the package of a received message, decrypted as it is read: 4-byte manifest
 * length, the manifest as signed, the files' bytes in order. A download that broke resumes with
 * {@code Range: bytes=FROM-} (answered {@code 206}); a resume inside a file decrypts from the segment that
 * holds {@code FROM}: nothing before it is read. The envelope is opened once per request.
 */
final class Packages {
    private final LocalNode node;
    private final ReadAccess access;

    Packages(LocalNode node, ReadAccess access) {
        this.node = node;
        this.access = access;
    }

    Answer fetch(Request<LocalUser> request) throws ProtocolException, IOException {
        LocalUser user = request.principal();
        UUID id = ReadAccess.parseId(request.param("id"));
        MessageStore.Received r = node.store().inbox().received(id).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND,
                "no received message " + id));
        try {
            return fetch(user, r, LocalApi.rangeStart(request.header("Range")));
        } catch (ProtocolException e) {
            if (e.code() == ErrorCode.STORED_DATA_CORRUPT || e.code() == ErrorCode.DECRYPTION_FAILED) {
                access.storedDataIncident(r, e.getMessage());
                node.audit().record(AuditEvent.of(node.clock(), "fetch-failed", user.actor(), r.messageId().toString(), r.sender().value(),
                        "failed", e.code().code() + " " + e.getMessage()));
                throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "message " + id + " cannot be served: "
                        + e.getMessage() + "; the operator has been alerted");
            }
            throw e;
        }
    }

    private Answer fetch(LocalUser user, MessageStore.Received r, long from) throws ProtocolException, IOException {
        ReadAccess.Readable read = access.readable(user, r, ReadAccess.Use.FETCH);
        Envelopes.Stored env = read.envelope();
        Envelopes.Opened o = read.opened();
        Manifest m = read.manifest();
        if (m.getFile().size() != env.payloads().size()) {
            throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "the manifest lists " + m.getFile().size() + " files but "
                    + env.payloads().size() + " payloads are stored");
        }
        long length = 4L + o.manifestXml().length + m.getFile().stream().mapToLong(File::getSize).sum();
        if (from < 0 || from >= length && from > 0) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "range: the package has " + length + " bytes, it cannot start at " + from);
        }
        List<InputStream> parts = new ArrayList<>();
        byte[] head = ByteBuffer.allocate(4 + o.manifestXml().length).putInt(o.manifestXml().length).put(o.manifestXml()).array();
        long skip = from; // bytes of the stream not sent: the head's first, then whole files', then the start of one file
        if (skip < head.length) {
            parts.add(new ByteArrayInputStream(head, (int) skip, head.length - (int) skip));
            skip = 0;
        } else {
            skip -= head.length;
        }
        for (int i = 0; i < m.getFile().size(); i++) {
            Path blob = BlobStore.payload(r.blobs(), i);
            long stored = Files.exists(blob) ? Files.size(blob) : -1;
            if (stored != env.payloads().get(i).ciphertextSize()) {
                throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "payload " + i + " is "
                        + (stored < 0 ? "missing" : stored + " bytes, not " + env.payloads().get(i).ciphertextSize()));
            }
        }
        for (int i = 0; i < m.getFile().size(); i++) {
            int index = i;
            long size = m.getFile().get(i).getSize();
            if (skip > 0 && skip >= size) {
                skip -= size;
                continue;
            }
            long within = skip;
            skip = 0;
            // Exactly the manifest's size per file, or an error: the response never holds more or fewer bytes than announced.
            parts.add(new ExactLength(() -> decryptFrom(o.payloads(), index, BlobStore.payload(r.blobs(), index), within),
                    size - within, "file " + i));
        }
        InputStream body = new SequenceInputStream(Collections.enumeration(parts));
        // The first chunk is read (and its payload segment authenticated) before anything is sent, so that
        // damage there gets a proper error answer, not a connection closed before any byte.
        byte[] first;
        try {
            first = body.readNBytes(64 * 1024);
        } catch (IOException e) {
            body.close();
            throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "a stored payload does not decrypt (" + e.getMessage() + ")");
        }
        AuditEvent fetched = AuditEvent.of(node.clock(), "fetch", user.actor(), r.messageId().toString(), r.sender().value(), "ok",
                from > 0 ? "resumed at byte " + from : null).about(env.header()).with("case", m.getCase());
        node.audit().record(fetched);
        node.stages().opened(r, env.header()); // the first time: the sender learns that this authority opened it (not who)
        InputStream all = new SequenceInputStream(new ByteArrayInputStream(first), body);
        // A payload that fails authentication midway ends the response early: the client sees a short package and refuses it.
        return new Answer.Stream(LocalApi.PACKAGE_TYPE, from, length, all, failure -> {
            access.storedDataIncident(r, failure.getMessage());
            node.audit().record(AuditEvent.of(node.clock(), "fetch-failed", user.actor(), r.messageId().toString(), r.sender().value(), "failed",
                    ErrorCode.STORED_DATA_CORRUPT.code() + " " + failure.getMessage()));
        });
    }

    /**
     * The plaintext of a stored payload from byte {@code within} on: the protocol's seekable decrypting channel
     * (no content key leaves the protocol module), positioned there, which decrypts from the segment that holds it.
     */
    private static InputStream decryptFrom(PayloadKeys keys, int index, Path blob, long within)
            throws IOException {
        ForwardChannel stored = new ForwardChannel(blob);
        try {
            java.nio.channels.SeekableByteChannel plain = keys.newSeekableDecryptingChannel(index, stored);
            plain.position(within);
            return java.nio.channels.Channels.newInputStream(plain);
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    /**
     * A stored payload as a read-only channel for the decrypting channel, read front to back by a
     * {@link org.liaison.gateway.store.SequentialReader} (a large one past the page cache): a position forward skips
     * (no reads), one backward opens the file again.
     */
    static final class ForwardChannel extends org.liaison.protocol.stream.ReadOnlyChannel {
        private final Path file;
        private final long size;
        private InputStream in;
        private long position;

        ForwardChannel(Path file) throws IOException {
            this.file = file;
            this.size = Files.size(file);
            this.in = SequentialReader.open(file);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (in == null) {
                throw new java.nio.channels.ClosedChannelException();
            }
            if (position >= size) {
                return -1;
            }
            int n;
            if (dst.hasArray()) {
                n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
            } else {
                byte[] b = new byte[Math.min(dst.remaining(), 64 * 1024)];
                n = in.read(b);
                if (n > 0) {
                    dst.put(b, 0, n);
                }
            }
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public java.nio.channels.SeekableByteChannel position(long to) throws IOException {
            if (in == null) {
                throw new java.nio.channels.ClosedChannelException();
            }
            if (to < position) {
                in.close();
                in = SequentialReader.open(file);
                position = 0;
            }
            long skip = Math.min(to, size) - position;
            if (skip > 0) {
                in.skipNBytes(skip);
            }
            position = to;
            return this;
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public boolean isOpen() {
            return in != null;
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
                in = null;
            }
        }
    }

    /** An input stream opened lazily that must yield exactly {@code size} bytes. */
    private static final class ExactLength extends InputStream {
        interface Opener {
            InputStream open() throws IOException;
        }

        private final Opener opener;
        private final String what;
        private InputStream in;
        private long left;

        ExactLength(Opener opener, long size, String what) {
            this.opener = opener;
            this.left = size;
            this.what = what;
        }

        private InputStream in() throws IOException {
            if (in == null) {
                in = opener.open();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            EventLoops.assertOffLoop("reading and decrypting a stored payload");
            if (left == 0) {
                if (in().read() >= 0) {
                    throw new IOException(what + " holds more bytes than the manifest says");
                }
                return -1;
            }
            int n = in().read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException(what + " ended " + left + " bytes short of the manifest's size");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
