package org.liaison.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.crypto.SecretKey;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.tls.SingleKeyManager;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * A deliberately independent peer for refusal tests: a plain JDK TLS socket with whatever client
 * certificate (or none) and protocol the test chooses, speaking HTTP/1.1 by hand.
 */
final class RawPeer {
    private RawPeer() {}

    record Response(int status, String body) {}

    static SSLSocket connect(int port, Credential client, String protocol) throws Exception {
        return connect(context(client), port, protocol);
    }

    /** One connection of a client context: connections of the same context may resume each other's TLS sessions. */
    static SSLSocket connect(SSLContext ctx, int port, String protocol) throws Exception {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true); // small exchanges: no waiting for delayed acknowledgements
        s.setEnabledProtocols(new String[] {protocol});
        s.setSoTimeout(15_000);
        s.startHandshake();
        return s;
    }

    static SSLContext context(Credential client) throws Exception {
        // Presents the given certificate whatever CAs the server asks for, so that the server's own checks are what is tested.
        javax.net.ssl.KeyManager[] kms = client == null ? new javax.net.ssl.KeyManager[0]
                : new javax.net.ssl.KeyManager[] {new SingleKeyManager(client)};
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, new TrustManager[] {trustAnyServer()}, null);
        return ctx;
    }

    /** Accepts any server: these tests examine the server's checks of its clients, not the other way round. */
    static X509TrustManager trustAnyServer() {
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }

    /** Sends one request and reads the answer; an exception or -1 means the server refused the connection. */
    static Response post(Socket s, String extraHeaders, byte[] body) throws IOException {
        OutputStream out = s.getOutputStream();
        String head = "POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: peer\r\nContent-Length: " + body.length + "\r\n"
                + extraHeaders + "\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return read(s.getInputStream());
    }

    static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String h = head.toString(StandardCharsets.US_ASCII);
        int status = Integer.parseInt(h.substring(9, 12));
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return new Response(status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.UTF_8);

    /** A complete message body as {@code signer}'s gateway would send it, claiming to be from {@code from}. */
    static byte[] message(FederationDirectory directory, Credential investigator, AuthorityId from, List<AuthorityId> to,
            Credential signer) throws Exception {
        return message(directory, signer, from, to, UUID.randomUUID(), manifest(investigator, from, to, java.util.Set.of()), PAYLOAD);
    }

    /** A manifest signed by {@code investigator} for one file, {@link #PAYLOAD}, named payload.txt. */
    static byte[] manifest(Credential investigator, AuthorityId from, List<AuthorityId> to,
            java.util.Set<HandlingFlag> flags) throws Exception {
        return manifest(investigator, from, to, flags, PAYLOAD);
    }

    /** A manifest signed by {@code investigator} for one file of content {@code plaintext}, named payload.txt. */
    static byte[] manifest(Credential investigator, AuthorityId from, List<AuthorityId> to,
            java.util.Set<HandlingFlag> flags, byte[] plaintext) throws Exception {
        Instant now = Instant.now();
        return Manifests.sign(new ManifestSpec("OP-RAW-1", Service.MLA_REQUEST, from, to, null,
                Instrument.UNTOC, "18", "", Classification.RESTRICTED,
                flags, null), List.of(new FileEntry("payload.txt", "text/plain", plaintext.length,
                Envelopes.sha256(plaintext), List.of(new FileEntry.Custody("test", now, "test", "")))),
                investigator, UUID.randomUUID(), now);
    }

    /** A message body with any manifest bytes (even not a manifest) and one payload, sealed by {@code signer}. */
    static byte[] message(FederationDirectory directory, Credential signer, AuthorityId from, List<AuthorityId> to, UUID id,
            byte[] manifest, byte[] plaintext) throws Exception {
        Instant now = Instant.now();
        SecretKey cek = ContentEncryption.newContentKey();
        ByteArrayOutputStream ct = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(cek, 0, PayloadCipher.MIN_SEGMENT_SIZE, ct)) {
            enc.write(plaintext);
        }
        byte[] payload = ct.toByteArray();
        byte[] env = Envelopes.seal(new EnvelopeHeader(id, id, null, now, now.plus(Duration.ofHours(1)), from, to, null,
                Service.MLA_REQUEST, "submit"), directory, manifest,
                List.of(new PayloadInfo(0, PayloadCipher.MIN_SEGMENT_SIZE, payload.length, Envelopes.sha256(payload))), cek, signer);
        return ByteBuffer.allocate(4 + env.length + payload.length).putInt(env.length).put(env).put(payload).array();
    }

    /** Any request on an open connection (HTTP/1.1, by hand). */
    static Response request(Socket s, String method, String path, String extraHeaders, byte[] body) throws IOException {
        OutputStream out = s.getOutputStream();
        String head = method + " " + path + " HTTP/1.1\r\nHost: node\r\nContent-Length: " + body.length + "\r\n" + extraHeaders
                + "\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return read(s.getInputStream());
    }
}
