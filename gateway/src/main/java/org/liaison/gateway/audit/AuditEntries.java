package org.liaison.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The entries of an audit log read back as events, and the filters auditors select them with. */
public final class AuditEntries {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIXED = Set.of("index", "time", "type", "actor", "messageId", "counterpart", "outcome", "reason");

    private AuditEntries() {}

    /** One entry: the fixed fields, the event's details, and the exact bytes that were hashed. */
    public record Entry(long index, Instant time, String type, String actor, String messageId, String counterpart, String outcome,
            String reason, Map<String, String> details, byte[] raw) {
        public String detail(String key) {
            return details.get(key);
        }

        /** The counterpart authorities: one, or the recipients of a message to several. */
        public List<String> counterparts() {
            if (counterpart == null || counterpart.isEmpty()) {
                return List.of();
            }
            String c = counterpart.startsWith("[") && counterpart.endsWith("]") ? counterpart.substring(1, counterpart.length() - 1)
                    : counterpart;
            return java.util.Arrays.stream(c.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
    }

    public static Entry parse(long index, byte[] raw) throws IOException {
        return parse(index, JSON.readTree(raw), raw);
    }

    private static Entry parse(long index, JsonNode o, byte[] raw) throws IOException {
        if (o == null || !o.isObject() || o.path("index").asLong(-1) != index) {
            throw new IOException("entry " + index + " is not a log entry with that index");
        }
        Map<String, String> details = new LinkedHashMap<>();
        o.fields().forEachRemaining(f -> {
            if (!FIXED.contains(f.getKey()) && !f.getValue().isNull()) {
                details.put(f.getKey(), f.getValue().asText());
            }
        });
        return new Entry(index, Instant.parse(o.path("time").asText()), o.path("type").asText(), text(o, "actor"), text(o, "messageId"),
                text(o, "counterpart"), text(o, "outcome"), text(o, "reason"), details, raw);
    }

    /** An entry read alone (from a log's tail, say): its index is the one it records. */
    public static Entry parse(byte[] raw) throws IOException {
        JsonNode o = JSON.readTree(raw);
        if (o == null || !o.isObject() || !o.path("index").canConvertToLong()) {
            throw new IOException("not a log entry");
        }
        return parse(o.path("index").asLong(), o, raw); // parsed once
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    public static List<Entry> parseAll(List<byte[]> raw) throws IOException {
        List<Entry> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            out.add(parse(i, raw.get(i)));
        }
        return out;
    }

    /**
     * What to select; null fields select everything. A case selects every entry about a message of
     * that case (the case reference is recorded where the gateway sees the package: submit, fetch).
     */
    public record Filter(String messageId, String caseReference, String counterpart, Set<String> types, Instant since, Instant until) {
        public List<Entry> apply(List<Entry> all) {
            Set<String> caseMessages = new HashSet<>();
            if (caseReference != null) {
                for (Entry e : all) {
                    if (caseReference.equals(e.detail("case")) && e.messageId() != null) {
                        caseMessages.add(e.messageId());
                    }
                }
            }
            List<Entry> out = new ArrayList<>();
            for (Entry e : all) {
                if (messageId != null && !messageId.equalsIgnoreCase(String.valueOf(e.messageId()))) {
                    continue;
                }
                if (caseReference != null && !caseMessages.contains(e.messageId())) {
                    continue;
                }
                if (counterpart != null && !e.counterparts().contains(counterpart) && !counterpart.equals(e.actor())) {
                    continue;
                }
                if (types != null && !types.isEmpty() && !types.contains(e.type())) {
                    continue;
                }
                if (since != null && e.time().isBefore(since) || until != null && !e.time().isBefore(until)) {
                    continue;
                }
                out.add(e);
            }
            return out;
        }
    }
}
