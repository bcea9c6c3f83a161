package org.liaison.cli.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.SecureFiles;

/**
 * The idempotency key of each package this profile submitted, kept in the profile folder
 * ({@code submissions/DIGEST}, owner-only) before the first attempt, so that re-running the same
 * command after an answer was lost reuses the key and the node returns the message it already
 * made instead of a second one. A file holds the key, then the message id once the node answered.
 * {@code DIGEST} is the package digest (parties, purpose, marks, files — see
 * {@code Manifests.packageDigest}) and the message it answers, if any.
 */
final class SubmissionRecords {
    static final String DIR = "submissions";

    record Record(String key, String messageId) {}

    private final Path dir;

    SubmissionRecords(Path profileDir) {
        this.dir = profileDir.resolve(DIR);
    }

    Optional<Record> find(String digest) throws IOException {
        Path f = dir.resolve(digest);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        String[] lines = Files.readString(f, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || lines[0].isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new Record(lines[0].strip(), lines.length > 1 && !lines[1].isBlank() ? lines[1].strip() : null));
    }

    /** A new key for this package, durable before it is used. */
    Record begin(String digest) throws IOException {
        Files.createDirectories(dir);
        Record r = new Record("auto-" + UUID.randomUUID(), null);
        write(digest, r);
        return r;
    }

    /** Records the message the node made with the key. */
    void done(String digest, Record r, String messageId) throws IOException {
        write(digest, new Record(r.key(), messageId));
    }

    private void write(String digest, Record r) throws IOException {
        String text = r.key() + "\n" + (r.messageId() == null ? "" : r.messageId() + "\n");
        SecureFiles.writeAtomically(dir.resolve(digest), text.getBytes(StandardCharsets.UTF_8), true);
    }
}
