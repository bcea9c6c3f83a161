package org.liaison.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Prints the tail of every {@code *.log} file under a test's folder when the test fails, before the
 * folder is deleted: the logs of the {@code liaison serve} processes a test ran are what explains a
 * failure that happened in another process (in CI they are otherwise gone with the temporary folder).
 */
final class LogsOnFailure implements AfterTestExecutionCallback {
    private static final int TAIL_LINES = 80;
    private final Supplier<Path> folder;

    LogsOnFailure(Supplier<Path> folder) {
        this.folder = folder;
    }

    @Override
    public void afterTestExecution(ExtensionContext context) throws IOException {
        Path dir = folder.get();
        if (context.getExecutionException().isEmpty() || dir == null || !Files.isDirectory(dir)) {
            return;
        }
        List<Path> logs;
        try (Stream<Path> s = Files.walk(dir)) {
            logs = s.filter(p -> p.getFileName().toString().endsWith(".log") && Files.isRegularFile(p)).sorted().toList();
        }
        for (Path log : logs) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            System.err.printf("----- %s failed; last %d of %d lines of %s%n", context.getDisplayName(),
                    Math.min(TAIL_LINES, lines.size()), lines.size(), dir.relativize(log));
            lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).forEach(System.err::println);
        }
    }
}
