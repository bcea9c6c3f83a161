package org.liaison.protocol.pkg;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** One file of a package as the manifest lists it, with its chain of custody. */
public record FileEntry(String name, String mediaType, long size, String sha256, List<Custody> custody) {
    /** Who collected the evidence, when, and how. */
    public record Custody(String collectedBy, Instant collectedAt, String method, String note) {
        public Custody {
            Objects.requireNonNull(collectedBy, "collectedBy");
            Objects.requireNonNull(collectedAt, "collectedAt");
            Objects.requireNonNull(method, "method");
            note = note == null ? "" : note;
        }
    }

    public FileEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(sha256, "sha256");
        if (size < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
        }
        custody = List.copyOf(custody);
        if (custody.isEmpty()) {
            throw new IllegalArgumentException("custody of " + name + ": none (expected: at least one entry)");
        }
    }
}
