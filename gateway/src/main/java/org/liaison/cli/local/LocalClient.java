package org.liaison.cli.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.liaison.certs.Credential;
import org.liaison.certs.Keystores;
import org.liaison.certs.Passwords;
import org.liaison.certs.Pem;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.UserProfile;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.net.ResumeFrom;
import org.liaison.gateway.store.SequentialReader;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.protocol.ProtocolException;

/**
 * The CLI's side of the local API: mutual TLS with the person's keystore, trusting only the
 * authority's national CA (from the profile) for the node's certificate, host name checked.
 */
public final class LocalClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    /**
     * For uploads and downloads (streamed bodies). Made on first use: its selector thread waits in
     * native code, and the JVM's exit waits up to 300 ms for such threads, so the short commands
     * (status, inbox, quarantine) use {@link #exchange} instead and exit at once.
     */
    private HttpClient http;
    private final SSLContext tls;
    private final SSLParameters tlsParameters;
    private final Credential credential;
    private boolean progress;

    /**
     * Shows a progress bar (bytes, rate, ETA) on standard error for uploads and downloads, only
     * when a person is at a terminal.
     */
    public LocalClient withProgressOnTerminal(boolean wanted) {
        this.progress = wanted && System.console() != null;
        return this;
    }

    private InputStream progress(InputStream in, String task, long total) {
        if (!progress) {
            return in;
        }
        return me.tongfei.progressbar.ProgressBar.wrap(in, new me.tongfei.progressbar.ProgressBarBuilder().setTaskName(task)
                .setInitialMax(total).setUnit(" MiB", 1 << 20).showSpeed()
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)));
    }

    public LocalClient(Path profileDir) throws IOException, GeneralSecurityException {
        UserProfile p = UserProfile.load(profileDir);
        this.base = URI.create(p.gateway());
        this.credential = Keystores.load(profileDir.resolve(p.keystore()), Passwords.fromFile(profileDir.resolve(p.passwordFile())));
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        int i = 0;
        for (var ca : Pem.readCertificates(profileDir.resolve(p.gatewayCa()))) {
            anchors.setCertificateEntry("ca" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        // Bouncy Castle's JSSE, offering the hybrid group X25519MLKEM768 first (then the classical ones): a gateway
        // whose authority announces hybrid TLS takes it; one that does not takes X25519.
        SSLContext ctx = HybridTls.hybridClientContext(
                new javax.net.ssl.KeyManager[] {HybridTls.bcKeyManager(credential, false)}, tmf.getTrustManagers());
        SSLParameters params = new SSLParameters();
        params.setProtocols(new String[] {"TLSv1.3"});
        this.tls = ctx;
        this.tlsParameters = params;
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).sslParameters(tlsParameters)
                    .connectTimeout(Duration.ofSeconds(15)).build();
        }
        return http;
    }

    /** The person's credential: it signs the packages they submit. */
    public Credential credential() {
        return credential;
    }

    public String submit(byte[] manifest, List<Path> files, String idempotencyKey, String inReplyTo) throws IOException {
        return submit(manifest, files, idempotencyKey, inReplyTo, 0);
    }

    /** The file bytes the gateway kept of a broken upload with this key (0: none; send it whole). */
    public long uploadOffset(String idempotencyKey) throws IOException {
        return json(send(HttpRequest.newBuilder(base.resolve(LocalApi.SUBMIT)).GET()
                .header(LocalApi.IDEMPOTENCY_KEY, idempotencyKey).build(),
                HttpResponse.BodyHandlers.ofByteArray())).path("offset").asLong(0);
    }

    /**
     * Submits a package; with {@code from} &gt; 0 it resumes a broken upload with the same key, sending
     * the file bytes from {@code from} on (see {@link #uploadOffset}).
     */
    public String submit(byte[] manifest, List<Path> files, String idempotencyKey, String inReplyTo, long from) throws IOException {
        long length = 4L + manifest.length - from;
        for (Path f : files) {
            length += Files.size(f);
        }
        final long total = length;
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            // Each file is opened when the one before it is done (a large one is read past the page cache, with a buffer of its own).
            List<java.util.concurrent.Callable<InputStream>> parts = new ArrayList<>();
            parts.add(() -> new ByteArrayInputStream(ByteBuffer.allocate(4).putInt(manifest.length).array()));
            parts.add(() -> new ByteArrayInputStream(manifest));
            long skip = from;
            for (Path f : files) {
                long size;
                try {
                    size = Files.size(f);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                if (skip >= size && size > 0) {
                    skip -= size;
                    continue;
                }
                long skipHere = skip;
                skip = 0;
                parts.add(() -> {
                    InputStream in = SequentialReader.open(f);
                    in.skipNBytes(skipHere);
                    return in;
                });
            }
            java.util.Iterator<java.util.concurrent.Callable<InputStream>> next = parts.iterator();
            java.util.Enumeration<InputStream> opened = new java.util.Enumeration<>() {
                @Override
                public boolean hasMoreElements() {
                    return next.hasNext();
                }

                @Override
                public InputStream nextElement() {
                    try {
                        return next.next().call();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
            return progress(new SequenceInputStream(opened), "upload", total);
        }), length);
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(LocalApi.SUBMIT)).POST(body)
                .header("Content-Type", LocalApi.SUBMISSION_TYPE);
        if (idempotencyKey != null) {
            req.header(LocalApi.IDEMPOTENCY_KEY, idempotencyKey);
        }
        if (inReplyTo != null) {
            req.header(LocalApi.IN_REPLY_TO, inReplyTo);
        }
        if (from > 0) {
            req.header(ResumeFrom.HEADER, Long.toString(from));
        }
        return json(send(req.build(), HttpResponse.BodyHandlers.ofByteArray(), "the gateway may have accepted this package;"
                + " re-run the same command to find out, or to resume the upload where it broke"
                + (idempotencyKey == null ? "" : " (key " + idempotencyKey + ")")))
                .get("messageId").asText();
    }

    public JsonNode get(String path) throws IOException {
        return exchange("GET", path);
    }

    /** A page of a listing: its rows, and the cursor of the next page (null: this was the last). */
    public record Page(JsonNode rows, String next) {}

    /** A page of a listing (GET inbox or messages with its query); the gateway says whether more follow. */
    public Page page(String path) throws IOException {
        SmallAnswer r = call("GET", path);
        return new Page(json(r.statusCode(), r.body()), r.next());
    }

    /** A request without a body that changes something (operators: quarantine), with extra headers as name, value pairs. */
    /** An operator's reason as a request header's value: 1 to 500 characters on one line, URL-encoded. */
    public static String reason(String reason) throws UserException {
        if (reason.isBlank() || reason.length() > 500 || reason.chars().anyMatch(c -> c < 0x20)) {
            throw new UserException("--reason: give 1 to 500 characters on one line");
        }
        return java.net.URLEncoder.encode(reason, java.nio.charset.StandardCharsets.UTF_8);
    }

    public JsonNode post(String path, String... headers) throws IOException {
        return exchange("POST", path, headers);
    }

    /**
     * A small request and its JSON answer, on one blocking TLS connection (no client threads left
     * behind). When the gateway refuses the personal certificate, TLS 1.3 tells the client only
     * after its handshake ended, as an alert behind the request: a failed write reads on to find it.
     */
    private JsonNode exchange(String method, String path, String... headers) throws IOException {
        SmallAnswer r = call(method, path, headers);
        return json(r.statusCode(), r.body());
    }

    private SmallAnswer call(String method, String path, String... headers) throws IOException {
        String host = base.getHost();
        int port = base.getPort() < 0 ? 443 : base.getPort();
        StringBuilder req = new StringBuilder(method).append(' ').append(base.resolve(path).getRawPath());
        if (base.resolve(path).getRawQuery() != null) {
            req.append('?').append(base.resolve(path).getRawQuery());
        }
        req.append(" HTTP/1.1\r\nHost: ").append(host).append(':').append(port).append("\r\nConnection: close\r\n");
        if (method.equals("POST")) {
            req.append("Content-Length: 0\r\n");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        req.append("\r\n");
        byte[] answer;
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket()) {
            socket.connect(new java.net.InetSocketAddress(host, port), 15_000);
            socket.setSoTimeout(120_000);
            SSLParameters p = socket.getSSLParameters();
            p.setProtocols(tlsParameters.getProtocols());
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName(host.matches("[0-9.:]+") ? "localhost" : host)));
            socket.setSSLParameters(p);
            HybridTls.offerBc(socket); // the groups again: standard parameters may have reset them
            try {
                socket.getOutputStream().write(req.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            } catch (javax.net.ssl.SSLException e) {
                throw e;
            } catch (IOException e) {
                socket.getInputStream().read(); // the alert that explains the broken write, if the gateway sent one
                throw e;
            }
            answer = readAnswer(socket.getInputStream());
        } catch (IOException e) {
            throw failure(e, "nothing was changed; try again");
        }
        SmallAnswer r;
        try {
            r = parseAnswer(answer);
        } catch (RuntimeException malformed) { // a status or chunk size that is not a number
            throw new UserException("your gateway at " + base + " answered something that is not well-formed HTTP; nothing was"
                    + " changed; try again");
        }
        return r;
    }

    /** The answer's head and exactly its body (by Content-Length, or chunks), without waiting for the connection to close. */
    private static byte[] readAnswer(InputStream raw) throws IOException {
        InputStream in = new java.io.BufferedInputStream(raw);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return out.toByteArray(); // cut short: parseAnswer says so
            }
            out.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (out.size() > 64 * 1024) {
                throw new IOException("the answer's headers are too long");
            }
        }
        String head = out.toString(java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("\r\ncontent-length:\\s*(\\d+)").matcher(head);
        if (length.find()) {
            long n = Long.parseLong(length.group(1));
            if (n > MAX_SMALL_ANSWER) {
                throw new IOException("the answer is larger than expected (" + n + " bytes)");
            }
            out.write(in.readNBytes((int) n));
        } else if (head.contains("\r\ntransfer-encoding: chunked")) {
            while (true) {
                StringBuilder line = new StringBuilder();
                int b;
                while ((b = in.read()) >= 0 && b != '\n') {
                    line.append((char) b);
                }
                out.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                int n;
                try {
                    n = Integer.parseInt(line.toString().trim().split(";")[0], 16);
                } catch (NumberFormatException e) {
                    throw new IOException("a malformed chunk size in the gateway's answer");
                }
                if (n == 0 || b < 0 || out.size() > MAX_SMALL_ANSWER) {
                    break;
                }
                out.write(in.readNBytes(n + 2));
            }
        } else {
            out.write(in.readNBytes(MAX_SMALL_ANSWER));
        }
        return out.toByteArray();
    }

    /** The largest answer a short command takes (an inbox or status listing). */
    private static final int MAX_SMALL_ANSWER = 64 << 20;

    /** Status and body of an HTTP/1.1 answer read whole (the gateway closes the connection after it). */
    private SmallAnswer parseAnswer(byte[] raw) throws IOException {
        int end = -1;
        for (int i = 0; i + 3 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' && raw[i + 3] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new UserException("the connection to your gateway at " + base + " closed before it answered; nothing was changed;"
                    + " try again");
        }
        String[] head = new String(raw, 0, end, java.nio.charset.StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = head[0].split(" ");
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new UserException("your gateway at " + base + " answered something that is not HTTP");
        }
        int status = Integer.parseInt(statusLine[1]);
        boolean chunked = false;
        String next = null;
        String nextHeader = LocalApi.NEXT_PAGE.toLowerCase(java.util.Locale.ROOT) + ":";
        for (String h : head) {
            if (h.toLowerCase(java.util.Locale.ROOT).startsWith(nextHeader)) {
                next = h.substring(nextHeader.length()).strip();
            }
            if (h.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:") && h.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if (chunked) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int i = 0;
            while (i < body.length) {
                int lineEnd = i;
                while (lineEnd + 1 < body.length && !(body[lineEnd] == '\r' && body[lineEnd + 1] == '\n')) {
                    lineEnd++;
                }
                String size = new String(body, i, lineEnd - i, java.nio.charset.StandardCharsets.US_ASCII).split(";")[0].trim();
                int n = Integer.parseInt(size, 16);
                if (n == 0) {
                    break;
                }
                out.write(body, lineEnd + 2, n);
                i = lineEnd + 2 + n + 2;
            }
            body = out.toByteArray();
        }
        return new SmallAnswer(status, body, next);
    }

    /** A whole answer read by {@link #exchange}; {@code next}: a listing's next page (LocalApi.NEXT_PAGE). */
    private record SmallAnswer(int statusCode, byte[] body, String next) {}

    /** The package stream of a received message (see the local API). */
    public InputStream fetch(String id) throws IOException {
        return fetch(id, 0).body();
    }

    /** Part of a download: the bytes from {@code from} on of a stream of {@code length} bytes. */
    public record Download(InputStream body, long from, long length) {}

    /**
     * The package stream of a received message from byte {@code from} on, to resume a download that
     * broke; a gateway that sends the whole instead answers with {@code from} = 0.
     */
    public Download fetch(String id, long from) throws IOException {
        return download(LocalApi.INBOX + "/" + id, from);
    }

    /** The sealed evidence container of a message (see the local API). */
    public InputStream evidence(String id) throws IOException {
        return download(LocalApi.EVIDENCE + "/" + id);
    }

    /** A copy of the node's audit log (auditors; see the local API). */
    public InputStream auditLog() throws IOException {
        return download(LocalApi.AUDIT);
    }

    private InputStream download(String path) throws IOException {
        return download(path, 0).body();
    }

    private Download download(String path, long from) throws IOException {
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path)).GET();
        if (from > 0) {
            req.header("Range", "bytes=" + from + "-");
        }
        HttpResponse<InputStream> r = send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (r.statusCode() == 206) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes (\\d+)-\\d+/(\\d+)")
                    .matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == from) {
                return new Download(progress(r.body(), "download", length), from, Long.parseLong(m.group(2)));
            }
            r.body().close();
            throw new UserException("the gateway answered a resumed download with another range than asked; fetch into a new folder");
        }
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                throw error(in.readAllBytes());
            }
        }
        return new Download(progress(r.body(), "download", length), 0, length);
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        return send(req, handler, "nothing was changed; try again");
    }

    /**
     * Sends a request and says what is known when it fails: refused at connection (the node is not
     * running), refused for the certificate (a TLS alert naming it), or cut off before an answer
     * — then {@code outcome} says what that means for this request and what to do.
     */
    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, String outcome) throws IOException {
        try {
            return http().send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (IOException e) {
            throw failure(e, outcome);
        }
    }

    /**
     * The TLS alert by which the gateway refused the person's certificate, or null: the JDK's TLS says "Received fatal
     * alert: certificate_unknown", Bouncy Castle's (which the client uses, for hybrid TLS) "certificate_unknown(46)",
     * possibly as the cause of another exception.
     */
    private static String refusalAlert(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = String.valueOf(c.getMessage());
            boolean alert = m.contains("alert") || m.contains("Alert") || m.matches("(?s).*[a-z_]+\\(\\d+\\).*");
            if (alert && (m.contains("certificate") || m.contains("access_denied"))) {
                return m;
            }
        }
        return null;
    }

    /** What a failed exchange means, in words: see {@link #send(HttpRequest, HttpResponse.BodyHandler, String)}. */
    private UserException failure(IOException e, String outcome) {
        if (e instanceof ConnectException) {
            return new UserException("cannot reach your gateway at " + base + ": is the node running (liaison serve)?");
        }
        String alert = refusalAlert(e);
        if (alert != null) {
            return new UserException("your gateway at " + base + " refused your certificate (" + alert
                    + "); check that it is of this authority and not revoked");
        }
        if (e instanceof javax.net.ssl.SSLException) {
            String m = String.valueOf(e.getMessage());
            return new UserException("the TLS connection to your gateway at " + base + " broke before an answer (" + m + "); " + outcome);
        }
        if (e instanceof java.net.http.HttpTimeoutException || e instanceof java.net.SocketTimeoutException) {
            return new UserException("your gateway at " + base + " did not answer in time; " + outcome);
        }
        // e.g. "HTTP/1.1 header parser received no bytes": the node closed the connection (it stopped, or crashed).
        return new UserException("the connection to your gateway at " + base + " closed before it answered (" + e.getMessage()
                + "); " + outcome);
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return json(r.statusCode(), r.body());
    }

    private static JsonNode json(int status, byte[] body) throws IOException {
        if (status != 200) {
            throw error(body);
        }
        return JSON.readTree(body);
    }

    private static UserException error(byte[] body) {
        try {
            ProtocolException e = LocalApi.error(JSON.readTree(body));
            if (e != null) {
                return new UserException("the gateway refused: " + e.getMessage() + " [" + e.code().code() + "]"
                        + (e.code().isRetryable() ? "; try again later" : ""));
            }
        } catch (IOException x) {
            // below
        }
        return new UserException("the gateway answered with an error it could not explain");
    }
}
