package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.liaison.certs.Role;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The front door alone, on an {@link EmbeddedChannel}, with a route table of fake services and a fake
 * policy: routing, parameters, authorization, framing, body limits, slow clients (on the channel's own
 * clock, {@code advanceTimeBy}) and downloads with backpressure. Workers are a queue this test runs.
 */
class FrontDoorTest {
    /** Work handed to "workers": run by {@link #settle}, on this thread. */
    final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    final Executor workers = queued::add;
    final List<String> refusals = new ArrayList<>();
    final List<Throwable> failures = new ArrayList<>();
    final BufferBudget budget = new BufferBudget(64, 1024);
    /** Who the channel's client is, and their roles. */
    Set<Role> roles = Set.of(Role.INVESTIGATOR);

    final FrontDoor.Policy<String> policy = new FrontDoor.Policy<>() {
        public String authenticate(Channel channel) {
            return "alice";
        }

        public void authorize(String principal, List<Role> needed) throws ProtocolException {
            if (needed.stream().noneMatch(roles::contains)) {
                throw new ProtocolException(ErrorCode.UNAUTHORIZED, principal + " may not");
            }
        }

        public ProtocolException malformed(Throwable cause) {
            return new ProtocolException(ErrorCode.SCHEMA_INVALID, "malformed request");
        }

        public ProtocolException unknown(String method, String uri, Routes.Miss miss) {
            return FrontDoor.standardMiss(method, uri, miss);
        }

        public ProtocolException unexpectedBody(String method, long contentLength, boolean chunked, boolean bytesSent) {
            return contentLength > 0 || bytesSent ? new ProtocolException(ErrorCode.SCHEMA_INVALID, "no body here") : null;
        }

        public BufferBudget buffers() {
            return budget;
        }

        public void refused(Channel channel, String id, ProtocolException refusal) {
            refusals.add(refusal.code().code() + (id == null ? "" : " " + id));
        }

        public String errorType() {
            return "text/plain";
        }

        public byte[] error(ProtocolException refusal) {
            return (refusal.code().code() + " " + refusal.getMessage()).getBytes(StandardCharsets.UTF_8);
        }

        public void decorate(HttpHeaders headers) {
            headers.set("X-Decorated", "yes");
        }

        public void failed(Channel channel, Throwable cause) {
            failures.add(cause);
        }

        public long lingerMillis() {
            return 1000;
        }
    };

    /** What the fake upload saw. */
    final List<String> uploadEvents = new ArrayList<>();
    /** Bytes read from a download's stream, so far. */
    final AtomicInteger downloadRead = new AtomicInteger();
    final List<IOException> downloadFailures = new ArrayList<>();
    byte[] download = new byte[1 << 20];

    Routes<String> routes() {
        return new Routes<String>()
                .get("/things/{id}", r -> Answer.json(Map.of("id", r.param("id"), "by", r.principal(),
                        "q", r.query().getOrDefault("q", List.of()))), Role.INVESTIGATOR).query()
                .post("/things/{id}/delete", r -> Answer.json(Map.of("deleted", r.param("id"))), Role.OPERATOR)
                .get("/download", r -> new Answer.Stream("application/octet-stream", 0, download.length, counting(download),
                        downloadFailures::add))
                .get("/broken", r -> new Answer.Stream("application/octet-stream", 0, 10, failingAfter(4), downloadFailures::add))
                .get("/fails", r -> {
                    throw new ProtocolException(ErrorCode.NOT_FOUND, "no such thing");
                })
                .buffered("/notes", 32, "note", (r, b) -> Answer.bytes("text/plain", b))
                .streamed("/upload", 100, "upload", (r, lease) -> new FakeUpload(lease));
    }

    EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.HTTP, Duration.ofSeconds(30), 1024));
        ch.pipeline().addLast("api", new FrontDoor<>(routes(), policy, workers, Runnable::run));
        return ch;
    }

    /** Runs the workers' queue and the channel's tasks until both are empty. */
    void settle(EmbeddedChannel ch) {
        do {
            while (!queued.isEmpty()) {
                queued.poll().run();
            }
            ch.runPendingTasks();
        } while (!queued.isEmpty());
    }

    FullHttpResponse answer(EmbeddedChannel ch) {
        settle(ch);
        FullHttpResponse r = ch.readOutbound();
        assertThat(r).as("an answer").isNotNull();
        return r;
    }

    static String text(FullHttpResponse r) {
        return r.content().toString(StandardCharsets.UTF_8);
    }

    static DefaultFullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    @Test
    void aRouteIsServedWithItsParametersItsQueryAndThePolicysHeadersAndTheConnectionStaysOpen() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/things/42?q=a&q=b"));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(r.headers().get("X-Decorated")).isEqualTo("yes");
        assertThat(text(r)).contains("\"id\":\"42\"").contains("\"by\":\"alice\"").contains("[\"a\",\"b\"]");
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(get("/things/43"));
        assertThat(text(answer(ch))).contains("\"id\":\"43\"");
        assertThat(refusals).isEmpty();
    }

    @Test
    void anUnknownPathIs404AndAMethodThePathIsNotServedWithIs405WithAllow() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/nothing/here"));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(404);
        assertThat(text(r)).startsWith(ErrorCode.NOT_FOUND.code());
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();

        EmbeddedChannel wrong = channel();
        wrong.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.DELETE, "/things/1"));
        FullHttpResponse w = answer(wrong);
        assertThat(w.status().code()).isEqualTo(405);
        assertThat(w.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("GET");
        assertThat(refusals).hasSize(2);
    }

    @Test
    void aRouteWithoutAQueryRefusesOne() {
        EmbeddedChannel ch = channel();
        roles = Set.of(Role.OPERATOR);
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/things/1/delete?x=1"));
        assertThat(answer(ch).status().code()).isEqualTo(404);
    }

    @Test
    void aMissingRoleIs403AndTheServiceNeverRuns() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/things/7/delete"));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(403);
        assertThat(text(r)).contains("alice may not").doesNotContain("deleted");
        assertThat(refusals).containsExactly(ErrorCode.UNAUTHORIZED.code() + " 7"); // about the path's id
    }

    @Test
    void aDecoderFailureIsRefusedWithThePolicysRefusal() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest bad = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad");
        bad.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("broken header")));
        ch.writeInbound(bad);
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(400);
        assertThat(text(r)).contains("malformed request");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aServicesRefusalIsAnsweredWithItsCode() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/fails"));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(404);
        assertThat(text(r)).contains("no such thing");
    }

    @Test
    void aBodyWhereNoneIsTakenIsRefused() {
        EmbeddedChannel ch = channel();
        DefaultFullHttpRequest withBody = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/things/1",
                Unpooled.wrappedBuffer(new byte[] {1, 2}));
        withBody.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
        ch.writeInbound(withBody);
        assertThat(text(answer(ch))).contains("no body here");
    }

    @Test
    void aBufferedBodyIsTakenWholeWithinItsLimitAndItsBudgetIsGivenBack() {
        EmbeddedChannel ch = channel();
        DefaultFullHttpRequest note = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/notes",
                Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        note.headers().set(HttpHeaderNames.CONTENT_LENGTH, 5);
        ch.writeInbound(note);
        assertThat(text(answer(ch))).isEqualTo("hello");
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void aBodyOverTheRoutesLimitIsRefusedWhenAnnouncedAndWhenSent() {
        EmbeddedChannel announced = channel();
        DefaultHttpRequest big = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        big.headers().set(HttpHeaderNames.CONTENT_LENGTH, 101);
        announced.writeInbound(big);
        FullHttpResponse r = answer(announced);
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(text(r)).contains("upload of 101 bytes exceeds the limit of 100");
        assertThat(uploadEvents).isEmpty(); // refused before anything was opened

        EmbeddedChannel sent = channel();
        DefaultHttpRequest chunked = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/notes");
        chunked.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        sent.writeInbound(chunked, new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[20])));
        sent.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[20])));
        FullHttpResponse s = answer(sent);
        assertThat(s.status().code()).isEqualTo(413);
        assertThat(text(s)).contains("a note exceeds 32 bytes");
        assertThat(budget.inUse()).as("the budget is given back").isZero();
    }

    @Test
    void aStreamedBodysHeadIsCheckedOnAWorkerBeforeTheRestIsTakenThenItIsFinished() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest up = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        up.headers().set(HttpHeaderNames.CONTENT_LENGTH, 10);
        // The head (4 bytes) and the first body bytes arrive in one chunk; more arrives while the head is checked.
        ch.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("HEADab".getBytes(StandardCharsets.US_ASCII))));
        assertThat(uploadEvents).containsExactly("head HEAD");
        assertThat(ch.config().isAutoRead()).as("reading paused during the check").isFalse();
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer("cdef".getBytes(StandardCharsets.US_ASCII))));
        FullHttpResponse r = answer(ch);
        assertThat(uploadEvents).containsExactly("head HEAD", "checked", "write ab", "write cdef", "finished");
        assertThat(text(r)).isEqualTo("stored 6");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aStreamedBodyRefusedAtItsCheckIsFailedAndTheConnectionLingersThenCloses() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest up = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        up.headers().set(HttpHeaderNames.CONTENT_LENGTH, 10);
        ch.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("BAD!xy".getBytes(StandardCharsets.US_ASCII))));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(403);
        assertThat(uploadEvents).containsExactly("head BAD!", "failed");
        assertThat(refusals).containsExactly(ErrorCode.SIGNATURE_INVALID.code() + " upload-1");
        assertThat(ch.isOpen()).as("lingers to read the rest").isTrue();
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    /**
     * A refused upload whose client is still sending keeps its connection open while the body comes (it was closed one
     * linger after the answer: a client still sending a large file then had the connection reset, its answer dropped
     * unread, and was told the gateway closed before it answered); closed once the client pauses for a linger, and
     * at the latest after {@link FrontDoor#LINGER_ROUNDS} lingers.
     */
    @Test
    void aRefusedUploadStillSendingIsReadUntilItPausesThenClosed() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest up = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        up.headers().set(HttpHeaderNames.CONTENT_LENGTH, 100); // within the route's limit; it comes slowly
        ch.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("BAD!xy".getBytes(StandardCharsets.US_ASCII))));
        assertThat(answer(ch).status().code()).isEqualTo(403);
        for (int i = 0; i < 5; i++) { // 4.5 s of a body still coming, every 0.9 s (the linger: 1 s)
            ch.advanceTimeBy(900, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            assertThat(ch.isOpen()).as("open while the client sends, after %d ms", (i + 1) * 900).isTrue();
            ch.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[2])));
        }
        ch.advanceTimeBy(1, TimeUnit.SECONDS); // it stopped sending
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();

        EmbeddedChannel endless = channel();
        endless.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("BAD!xy".getBytes(StandardCharsets.US_ASCII))));
        answer(endless);
        for (int i = 0; i < 40 && endless.isOpen(); i++) {
            endless.advanceTimeBy(900, TimeUnit.MILLISECONDS);
            endless.runScheduledPendingTasks();
            if (endless.isOpen()) {
                endless.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[2])));
            }
        }
        assertThat(endless.isOpen()).as("closed after %d lingers however long it sends", FrontDoor.LINGER_ROUNDS).isFalse();
    }

    @Test
    void aConnectionCutDuringAStreamedBodySuspendsIt() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest up = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        up.headers().set(HttpHeaderNames.CONTENT_LENGTH, 10);
        ch.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("HEADab".getBytes(StandardCharsets.US_ASCII))));
        settle(ch);
        ch.close();
        assertThat(uploadEvents).containsExactly("head HEAD", "checked", "write ab", "suspended");
    }

    @Test
    void aClientThatSendsItsHeadTooSlowlyIsCutOffOnTheChannelsClock() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(failures).singleElement().isInstanceOf(ReadTimeoutException.class);
    }

    @Test
    void aSlowUploadIsCutOffAndSuspended() {
        EmbeddedChannel ch = channel();
        DefaultHttpRequest up = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        up.headers().set(HttpHeaderNames.CONTENT_LENGTH, 100);
        ch.writeInbound(up, new DefaultHttpContent(Unpooled.wrappedBuffer("HEADab".getBytes(StandardCharsets.US_ASCII))));
        settle(ch);
        ch.advanceTimeBy(31, TimeUnit.SECONDS); // 2 bytes in a 30-second window, under 1024 a second
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(failures).singleElement().isInstanceOf(ReadTimeoutException.class);
        assertThat(uploadEvents).endsWith("suspended");
    }

    @Test
    void aDownloadIsReadOnAWorkerOnlyAsFastAsTheClientTakesIt() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/download"));
        // The client does not read: the channel is not writable. The head is written, no chunk is read.
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        settle(ch);
        HttpResponse head = ch.readOutbound();
        assertThat(head.status().code()).isEqualTo(200);
        assertThat(head.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(download.length);
        assertThat(downloadRead.get()).isZero();
        // It reads a little: a chunk or two go out, then it stops again.
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        ch.runPendingTasks();
        queued.poll().run(); // one chunk read on a worker
        ch.runPendingTasks();
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        settle(ch);
        int stalled = downloadRead.get();
        assertThat(stalled).as("at most a chunk written and one read ahead").isLessThanOrEqualTo(2 * OffLoopChunks.CHUNK);
        settle(ch);
        assertThat(downloadRead.get()).as("nothing more is read while the client does not read").isEqualTo(stalled);
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        long got = 0;
        boolean last = false;
        for (int i = 0; i < 100 && !last; i++) {
            settle(ch);
            Object o;
            while ((o = ch.readOutbound()) != null) {
                if (o instanceof HttpContent) {
                    got += ((HttpContent) o).content().readableBytes();
                    last |= o instanceof LastHttpContent;
                    ((HttpContent) o).release();
                }
            }
        }
        assertThat(last).isTrue();
        assertThat(got).isEqualTo(download.length);
        assertThat(ch.isOpen()).isTrue();
        assertThat(downloadFailures).isEmpty();
    }

    @Test
    void aDownloadThatFailsMidwayClosesTheConnectionAndIsReported() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/broken"));
        for (int i = 0; i < 5; i++) {
            settle(ch);
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(downloadFailures).singleElement().extracting(Throwable::getMessage).isEqualTo("damaged");
    }

    InputStream counting(byte[] bytes) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                int n = super.read(b, off, len);
                if (n > 0) {
                    downloadRead.addAndGet(n);
                }
                return n;
            }
        };
    }

    static InputStream failingAfter(int n) {
        return new InputStream() {
            int left = n;

            @Override
            public int read() throws IOException {
                if (left-- > 0) {
                    return 'x';
                }
                throw new IOException("damaged");
            }
        };
    }

    /** An upload whose head is its first 4 bytes: "BAD!" fails the check. */
    final class FakeUpload implements StreamedBody {
        final BufferBudget.Lease lease;
        final StringBuilder head = new StringBuilder();
        boolean checked;
        int stored;
        PayloadSink sink;

        FakeUpload(BufferBudget.Lease lease) {
            this.lease = lease;
        }

        public void writeOn(Executor writers, PayloadSink.Flow flow, Consumer<ProtocolException> failed) {
            sink = new PayloadSink(writers, flow);
        }

        public void accept(ByteBuffer data) throws ProtocolException {
            while (data.hasRemaining() && head.length() < 4) {
                lease.reserve(1);
                head.append((char) data.get());
                if (head.length() == 4) {
                    uploadEvents.add("head " + head);
                    return;
                }
            }
            if (!checked && data.hasRemaining()) {
                throw new IllegalStateException("bytes before the check");
            }
            sink.write(data, b -> {
                stored += b.remaining();
                uploadEvents.add("write " + StandardCharsets.US_ASCII.decode(b));
            });
        }

        public boolean awaitingCheck() {
            return head.length() == 4 && !checked;
        }

        public void check() throws ProtocolException {
            if (head.toString().equals("BAD!")) {
                throw new ProtocolException(ErrorCode.SIGNATURE_INVALID, "a bad head");
            }
            checked = true;
            uploadEvents.add("checked");
        }

        public Answer finish() {
            lease.release();
            uploadEvents.add("finished");
            return Answer.bytes("text/plain", ("stored " + stored).getBytes(StandardCharsets.US_ASCII));
        }

        public void fail() {
            lease.release();
            if (!uploadEvents.contains("failed")) {
                uploadEvents.add("failed");
            }
        }

        public void suspend() {
            lease.release();
            uploadEvents.add("suspended");
        }

        public void disconnectedDuringCheck() {
            uploadEvents.add("disconnected during the check");
        }

        public String id() {
            return "upload-1";
        }
    }
}
