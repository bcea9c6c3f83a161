package org.liaison.protocol.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.File;

/**
 * An evidence package on disk: {@code manifest.xml} (signed) and the files under {@code files/}.
 * This is what {@code liaison fetch} writes and {@code liaison verify} checks, offline.
 */
public final class EvidenceFolder {
    public static final String MANIFEST = "manifest.xml";
    public static final String FILES = "files";

    private EvidenceFolder() {}

    /** One line of a verification report. */
    public record Check(boolean ok, String what, String detail) {}

    /** The outcome of {@link #verify}: every check made, in order; valid only if all hold. */
    public record Report(List<Check> checks, Manifests.Verified manifest) {
        public boolean valid() {
            return !checks.isEmpty() && checks.stream().allMatch(Check::ok);
        }
    }

    /** How a file's bytes are read (the gateway reads large files past the page cache). */
    public interface Reader {
        InputStream open(Path file) throws IOException;
    }

    /** SHA-256 of a file's content, streamed. */
    public static String sha256(Path file) throws IOException {
        return sha256(file, Files::newInputStream);
    }

    /** SHA-256 of a file's content, streamed from {@code reader}. */
    public static String sha256(Path file, Reader reader) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = reader.open(file)) {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * Verifies a package folder: the manifest's signature and signer, then each file's presence,
     * size and SHA-256, and that no file is there that the manifest does not list.
     */
    public static Report verify(Path dir, Trust trust, Instant at) throws IOException {
        return verify(dir, trust, at, Files::newInputStream);
    }

    /** As {@link #verify(Path, Trust, Instant)}, the files read with {@code reader}. */
    public static Report verify(Path dir, Trust trust, Instant at, Reader reader) throws IOException {
        List<Check> checks = new ArrayList<>();
        byte[] xml;
        try {
            xml = Files.readAllBytes(dir.resolve(MANIFEST));
        } catch (NoSuchFileException e) {
            checks.add(new Check(false, "manifest", dir.resolve(MANIFEST) + " does not exist"));
            return new Report(checks, null);
        }
        Manifests.Verified m;
        try {
            m = Manifests.verify(xml, trust, at);
            checks.add(new Check(true, "manifest signature", "signed by " + m.investigator().getSubjectX500Principal().getName()
                    + " for " + m.from() + ", certificate valid and role investigator"));
        } catch (ProtocolException e) {
            checks.add(new Check(false, "manifest signature", e.getMessage() + " [" + e.code().code() + "]"));
            return new Report(checks, null);
        }
        Path files = dir.resolve(FILES);
        Set<String> listed = new HashSet<>();
        for (File f : m.manifest().getFile()) {
            listed.add(f.getName());
            Path p = files.resolve(f.getName());
            if (!p.normalize().getParent().equals(files.normalize()) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                checks.add(new Check(false, f.getName(), "missing (expected " + f.getSize() + " bytes)"));
                continue;
            }
            long size = Files.size(p);
            if (size != f.getSize()) {
                checks.add(new Check(false, f.getName(), "size " + size + " bytes, the manifest says " + f.getSize()));
                continue;
            }
            String digest = sha256(p, reader);
            checks.add(digest.equals(f.getSha256())
                    ? new Check(true, f.getName(), size + " bytes, SHA-256 " + digest)
                    : new Check(false, f.getName(), "SHA-256 " + digest + " does not match the manifest's " + f.getSha256()));
        }
        if (Files.isDirectory(files)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(files)) {
                for (Path p : ds) {
                    if (!listed.contains(p.getFileName().toString())) {
                        checks.add(new Check(false, p.getFileName().toString(), "is not listed in the manifest"));
                    }
                }
            }
        }
        return new Report(checks, m);
    }
}
