package org.liaison.gateway.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.Function;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginFactory;
import org.apache.logging.log4j.layout.template.json.resolver.EventResolver;
import org.apache.logging.log4j.layout.template.json.resolver.EventResolverContext;
import org.apache.logging.log4j.layout.template.json.resolver.EventResolverFactory;
import org.apache.logging.log4j.layout.template.json.resolver.TemplateResolverConfig;
import org.apache.logging.log4j.layout.template.json.resolver.TemplateResolverFactory;
import org.apache.logging.log4j.layout.template.json.util.JsonWriter;

/**
 * The JSON layout's {@code {"$resolver": "escaped", "field": F}}: the event's message ({@code message}), its
 * exception's message ({@code exceptionMessage}) or stack trace ({@code stackTrace}) as a JSON string in which
 * every control, bidirectional control and line separator is a <code>&#92;u</code> escape ({@link JsonEscapes}). The
 * layout's own writer leaves C1 and bidirectional controls raw, and a log read with {@code tail} is shown by
 * a terminal; this keeps the string exact for a log shipper and inert on a screen. Null when there is none.
 */
@Plugin(name = "EscapedResolverFactory", category = TemplateResolverFactory.CATEGORY)
public final class EscapedResolverFactory implements EventResolverFactory {
    private static final EscapedResolverFactory INSTANCE = new EscapedResolverFactory();
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setCharacterEscapes(JsonEscapes.INSTANCE);
    }

    private EscapedResolverFactory() {}

    @PluginFactory
    public static EscapedResolverFactory getInstance() {
        return INSTANCE;
    }

    @Override
    public String getName() {
        return "escaped";
    }

    @Override
    public EventResolver create(EventResolverContext context, TemplateResolverConfig config) {
        String field = config.getString("field");
        Function<LogEvent, String> text;
        if ("message".equals(field)) {
            text = e -> e.getMessage() == null ? null : e.getMessage().getFormattedMessage();
        } else if ("exceptionMessage".equals(field)) {
            text = e -> e.getThrown() == null ? null : e.getThrown().getMessage();
        } else if ("stackTrace".equals(field)) {
            text = e -> e.getThrown() == null ? null : stackTrace(e.getThrown());
        } else {
            throw new IllegalArgumentException("escaped resolver: field " + field + " (expected: message, exceptionMessage or stackTrace)");
        }
        return new EventResolver() {
            @Override
            public boolean isResolvable(LogEvent event) {
                return text.apply(event) != null;
            }

            @Override
            public void resolve(LogEvent event, JsonWriter writer) {
                String s = text.apply(event);
                if (s == null) {
                    writer.writeNull();
                    return;
                }
                try {
                    writer.writeRawString(JSON.writeValueAsString(s));
                } catch (JsonProcessingException impossible) { // a String always serialises
                    throw new IllegalStateException(impossible);
                }
            }
        };
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
