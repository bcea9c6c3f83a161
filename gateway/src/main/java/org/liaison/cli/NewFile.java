package org.liaison.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.liaison.certs.SecureFiles;
import picocli.CommandLine.Option;

/**
 * {@code --out FILE} of a command that writes one new file (an audit export or report, an evidence container,
 * a directory draft or signed edition): refused before any work if the file exists, and never overwritten.
 */
public final class NewFile {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (refused if it exists).")
    Path out;

    /** Refuses at once when the file exists, before the command does its work. */
    public void refuseIfExists() {
        if (Files.exists(out)) {
            throw new UserException(out + " already exists; choose another --out");
        }
    }

    /** Writes the file whole (atomically); refused if it appeared meanwhile. */
    public void write(byte[] data) throws IOException {
        SecureFiles.writeNew(out, data, false);
    }

    public Path path() {
        return out;
    }

    /** The path, as given. */
    @Override
    public String toString() {
        return String.valueOf(out);
    }
}
