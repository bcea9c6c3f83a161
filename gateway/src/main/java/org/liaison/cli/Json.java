package org.liaison.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.liaison.gateway.log.JsonEscapes;

/**
 * JSON output of commands ({@code --json}): pretty, stable key order as the command builds it; the data exact,
 * with every control, bidi control and line separator written as a JSON escape ({@link org.liaison.gateway.log.JsonEscapes}).
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static {
        // Exact data for programs; C1 and bidi controls as JSON escapes, so that a terminal shows them inert.
        MAPPER.getFactory().setCharacterEscapes(JsonEscapes.INSTANCE);
    }

    private static final ObjectMapper LINES = new ObjectMapper();

    static {
        LINES.getFactory().setCharacterEscapes(JsonEscapes.INSTANCE);
    }

    private Json() {}

    /** One value on one line (a listing's {@code --json}: one object per line, for scripts), escaped as {@link #write}. */
    public static String line(Object value) {
        try {
            return LINES.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON output", e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON output", e);
        }
    }
}
