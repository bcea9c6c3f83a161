package org.liaison.cli.directory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.liaison.cli.FederationOptions;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a directory as a gateway would before loading it.",
            "Signed under the pinned operator CA by a valid directory-signing certificate, not expired, and — with",
            "--current — newer than the one in use. Exit code 0 only if it would be accepted."},
        footer = {"", "Examples:",
            "  liaison directory verify federation/directory.xml --federation federation",
            "  liaison directory verify new.xml --operator-ca operator-ca.pem --operator-crl operator.crl --current directory.xml"})
public final class DirectoryVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The directory to check.")
    Path file;

    @Mixin
    FederationOptions federation;

    @Option(names = "--current", paramLabel = "FILE", description = "The directory in use: the new one must be newer.")
    Path current;

    @Override
    public Integer call() throws Exception {
        Instant now = Instant.now();
        DirectoryVerifier verifier = federation.verifier();
        var o = spec.commandLine().getOut();
        try {
            FederationDirectory cur = current == null ? null : verifier.verify(Files.readAllBytes(current), now);
            FederationDirectory d = verifier.accept(cur, Files.readAllBytes(file), now);
            o.println("VALID directory #" + d.sequence() + " of " + d.federation() + ": " + d.authorities().size()
                    + " authorities, " + d.jits().size() + " JITs, issued " + d.issued() + ", next update due " + d.nextUpdate());
            o.println("  SHA-256 " + d.sha256());
            return 0;
        } catch (ProtocolException e) {
            o.println("REJECTED: " + e.getMessage() + " [" + e.code().code() + "]");
            return 1;
        }
    }
}
