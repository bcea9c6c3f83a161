package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The node never holds every stored message at once. Its retention sweep (hourly), its deadlines (at
 * start), the protection of onward transfers and the local API's listings read the whole inbox or
 * outbox with every envelope: 83 MiB of heap for 9,000 small received messages, measured, so a node
 * with a few tens of thousands ran out of memory at its next sweep and then at every start. They go
 * through the store a page at a time ({@link InboxStore#eachReceived}); the lists of everything
 * ({@code inbox()}, {@code sent()}) are for tests and tools. This test reads the node's sources for
 * calls of those on a store, so that one put back fails here rather than in a full node years later.
 */
class WholeStoreReadsTest {
    private static final Pattern WHOLE = Pattern.compile("store\\(\\)\\s*\\.\\s*(inbox|sent)\\(\\)\\s*\\.\\s*all\\(\\)");

    @Test
    void nothingInTheNodeReadsTheWholeInboxOrOutboxAtOnce() throws Exception {
        Path main = Path.of("src/main/java");
        assertThat(main.resolve("org/liaison/gateway/node/Retention.java")).exists(); // the sources are where the test looks
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (WHOLE.matcher(lines.get(i)).find()) {
                        found.add(main.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertThat(found).as("whole-store reads in the node (use inbox().eachReceived()/sent().eachSent())").isEmpty();
    }
}
