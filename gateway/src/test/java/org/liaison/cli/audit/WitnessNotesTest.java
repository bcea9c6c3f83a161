package org.liaison.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.cli.UserException;

/**
 * A node's answer to {@code GET audit-witnesses} is untrusted: a witness id that is no authority id (a path, very long,
 * a NUL), a checkpoint that is not text or too large, a witness named twice, an answer that is no list — each refuses
 * the pull with a clear error, and nothing is written outside the pull's folder (nor, for that row, in it).
 */
class WitnessNotesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static JsonNode rows(Map<?, ?>... rows) {
        ArrayNode a = JSON.createArrayNode();
        for (Map<?, ?> r : rows) {
            a.add(JSON.valueToTree(r));
        }
        return a;
    }

    List<String> everything() throws Exception {
        try (var walk = Files.walk(dir)) {
            return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void goodRowsAreKeptAndAWitnessNotAskedIsALine() throws Exception {
        Path pull = Files.createDirectories(dir.resolve("pull"));
        List<String> lines = WitnessNotes.keep(rows(Map.of("witness", "US-OIA", "checkpoint", "liaison/AL-PP\n3\nabc=\n"),
                Map.of("witness", "IT-DNA", "error", "unreachable")), pull);
        assertThat(lines).containsExactly("witness IT-DNA could not be asked: unreachable");
        assertThat(Files.readString(pull.resolve("witness-US-OIA.note"))).isEqualTo("liaison/AL-PP\n3\nabc=\n");
        assertThat(everything()).containsExactly("", "pull", "pull/witness-US-OIA.note");
    }

    @Test
    void hostileRowsAreRefusedAndWriteNothing() throws Exception {
        Path pull = Files.createDirectories(dir.resolve("a").resolve("pull"));
        List<JsonNode> hostile = List.of(
                rows(Map.of("witness", "../x", "checkpoint", "n")),
                rows(Map.of("witness", "../../../a/x", "checkpoint", "n")),
                rows(Map.of("witness", "/tmp/x", "checkpoint", "n")),
                rows(Map.of("witness", "US-" + "A".repeat(100_000), "checkpoint", "n")),
                rows(Map.of("witness", "US-OIA\u0000/../../x", "checkpoint", "n")),
                rows(Map.of("witness", "US-OIA\n", "checkpoint", "n")),
                rows(Map.of("witness", 42, "checkpoint", "n")),
                rows(Map.of("witness", List.of("US-OIA"), "checkpoint", "n")),
                rows(Map.of("witness", "US-OIA", "checkpoint", "n".repeat(WitnessNotes.MAX_NOTE + 1))),
                rows(Map.of("witness", "US-OIA", "checkpoint", Map.of("note", "n"))),
                rows(Map.of("witness", "US-OIA", "checkpoint", 7)),
                rows(Map.of("witness", "US-OIA", "checkpoint", "n"), Map.of("witness", "US-OIA", "checkpoint", "m")),
                JSON.readTree("{\"witness\":\"US-OIA\",\"checkpoint\":\"n\"}"),
                JSON.readTree("\"US-OIA\""));
        List<String> accepted = new java.util.ArrayList<>();
        for (JsonNode rows : hostile) {
            String shown = rows.toString();
            Throwable t = catchThrowable(() -> WitnessNotes.keep(rows, pull));
            if (!(t instanceof UserException)) {
                accepted.add(shown.substring(0, Math.min(80, shown.length())));
            } else {
                assertThat(t.getMessage()).startsWith("the gateway").hasSizeLessThan(200).doesNotContain("\u0000").doesNotContain("\n");
            }
            for (Path f : Files.list(pull).toList()) {
                Files.delete(f); // what a refused pull leaves is removed with its folder (PullCommand)
            }
            assertThat(everything()).containsExactly("", "a", "a/pull");
        }
        assertThat(accepted).as("not refused").isEmpty();
    }
}
