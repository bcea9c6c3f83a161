package org.liaison.cli.audit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.UserException;
import picocli.CommandLine.Option;

/** {@code --cosigned FILE}: the cosigned checkpoints an audit command checks a log copy's witnesses' quorum with (a mixin). */
final class CosignedOption {
    @Option(names = "--cosigned", paramLabel = "FILE", description = {"A cosigned checkpoint of this log (repeatable; default: the",
        "node's audit-cosigned/*.note beside DIR, or the cosigned.note and witness-ID.note files of 'audit pull'). With the",
        "directory (--federation or --directory), its cosignatures must meet the quorum the directory sets for the log."})
    List<Path> given = new ArrayList<>();

    /** The files given, or those found beside and in {@code dir} (see {@link Witnessed#files}). */
    List<Path> files(Path dir) {
        return Witnessed.files(dir, given);
    }

    /** Refuses files given without the directory whose witness policy they are checked against. */
    void requireDirectory(FederationOptions federation) {
        if (!federation.canVerify() && !given.isEmpty()) {
            throw new UserException("--cosigned needs the directory whose witness policy it is checked against: give --federation DIR,"
                    + " or --directory FILE with --operator-ca and --operator-crl");
        }
    }
}
