package org.liaison.gateway.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/** What a service answers, with no Netty type; the {@link FrontDoor} writes it on the event loop. */
public sealed interface Answer {
    ObjectMapper JSON = new ObjectMapper();
    String JSON_TYPE = "application/json";

    /** A whole body: {@code 200} unless said otherwise; {@code headers}: more response headers (a page's next cursor, say). */
    record Bytes(int status, String type, byte[] body, java.util.Map<String, String> headers) implements Answer {
        public Bytes(int status, String type, byte[] body) {
            this(status, type, body, java.util.Map.of());
        }
    }

    /**
     * A body streamed as the client reads it, from byte {@code from} of {@code length} ({@code 206} with a
     * {@code Content-Range} when {@code from} &gt; 0). {@code body} is read on a worker, never on the event loop,
     * and closed at its end or when the connection closes. A read that fails midway closes the connection
     * (the client sees a short body) and is told to {@code failed}, on a worker.
     */
    record Stream(String type, long from, long length, InputStream body, Consumer<IOException> failed) implements Answer {}

    static Answer json(Object body) {
        try {
            return new Bytes(200, JSON_TYPE, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + body.getClass().getSimpleName(), e);
        }
    }

    /** JSON with more response headers. */
    static Answer json(Object body, java.util.Map<String, String> headers) {
        try {
            return new Bytes(200, JSON_TYPE, JSON.writeValueAsBytes(body), headers);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + body.getClass().getSimpleName(), e);
        }
    }

    static Answer bytes(String type, byte[] body) {
        return new Bytes(200, type, body);
    }
}
