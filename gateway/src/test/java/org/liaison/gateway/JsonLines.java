package org.liaison.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;

/** A listing's {@code --json} output (one object per line) as an array, for tests. */
final class JsonLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {}

    static ArrayNode of(String out) throws IOException {
        ArrayNode rows = JSON.createArrayNode();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                JsonNode row = JSON.readTree(line);
                if (!row.isObject()) {
                    throw new IOException("not one JSON object per line: " + line);
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
