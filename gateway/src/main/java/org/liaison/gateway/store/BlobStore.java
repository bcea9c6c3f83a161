package org.liaison.gateway.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;

/**
 * Encrypted payloads on disk, never plaintext. A message's payloads are written into a staging
 * folder, fsynced, and moved into place in one rename, so a message's folder is either complete
 * or absent.
 *
 * <pre>
 *   staging/RANDOM/payload-N          being written
 *   inbox/SENDER/MESSAGE-ID/payload-N received
 *   outbox/MESSAGE-ID/payload-N       to send
 * </pre>
 */
public final class BlobStore {
    private final Path root;

    public BlobStore(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("staging"));
        Files.createDirectories(root.resolve("inbox"));
        Files.createDirectories(root.resolve("outbox"));
    }

    public Path newStaging() throws IOException {
        return Files.createDirectory(root.resolve("staging").resolve(UUID.randomUUID().toString()));
    }

    public static Path payload(Path messageDir, int index) {
        return messageDir.resolve("payload-" + index);
    }

    public Path inbox(AuthorityId sender, UUID messageId) {
        return root.resolve("inbox").resolve(sender.value()).resolve(messageId.toString());
    }

    public Path outbox(UUID messageId) {
        return root.resolve("outbox").resolve(messageId.toString());
    }

    /** The folder that holds the payload folders of the messages to send ({@link #outbox(UUID)}). */
    public Path outboxRoot() {
        return root.resolve("outbox");
    }

    /** Moves a complete staging folder into place; the files in it must already be fsynced. */
    public Path commit(Path staging, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        SecureFiles.fsyncDirectory(staging);
        if (Files.exists(target)) {
            discard(staging);
            return target;
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        SecureFiles.fsyncDirectory(target.getParent());
        return target;
    }

    public void discard(Path staging) {
        deleteFolder(staging);
    }

    /** Removes a folder of files (no subfolders), if it exists; a failure is left for the next start to clean. */
    public static void deleteFolder(Path staging) {
        try {
            if (Files.exists(staging)) {
                try (var files = Files.list(staging)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(staging);
            }
        } catch (IOException e) {
            // Staging leftovers are cleaned at the next start; nothing refers to them.
        }
    }

    /** Removes a folder of files as {@link #deleteFolder} does; whether it is gone (false: it remains, to try again later). */
    public static boolean removeFolder(Path folder) {
        deleteFolder(folder);
        return !Files.exists(folder);
    }

    /** Removes staging folders left by a crash. */
    public void cleanStaging() throws IOException {
        cleanStaging(java.time.Duration.ZERO);
    }

    /**
     * Removes staging folders untouched for {@code olderThan}: all of them on a node's own folder at
     * start; on a folder the authority's nodes share, only those no live node can still be writing.
     */
    public void cleanStaging(java.time.Duration olderThan) throws IOException {
        java.nio.file.attribute.FileTime before = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(olderThan));
        try (var dirs = Files.list(root.resolve("staging"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                if (olderThan.isZero() || Files.getLastModifiedTime(d).compareTo(before) < 0) {
                    discard(d);
                }
            }
        }
    }
}
