package org.liaison.cli.directory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.liaison.certs.Credential;
import org.liaison.certs.Keystores;
import org.liaison.cli.NewFile;
import org.liaison.cli.UserException;
import org.liaison.cli.certs.PasswordOptions;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.model.Directory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "sign", mixinStandardHelpOptions = true,
        description = {"Sign a directory draft with the operator's directory-signing key.",
            "The draft is a <Directory> document (an existing signature in it is replaced). Raise its sequence attribute",
            "for every new edition: gateways refuse one that is not newer than theirs."},
        footer = {"", "Example:",
            "  liaison directory sign draft.xml --key federation/operator/directory-signing.p12 \\",
            "      --password-file federation/operator/directory-signing.password --out directory.xml"})
public final class DirectorySignCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DRAFT", description = "The directory to sign.")
    Path draft;

    @Option(names = "--key", required = true, paramLabel = "FILE.p12", description = "The operator's directory-signing keystore.")
    Path key;

    @ArgGroup(exclusive = true)
    PasswordOptions password;

    @Mixin
    NewFile out;

    @Override
    public Integer call() throws Exception {
        out.refuseIfExists();
        if (password == null) {
            throw new UserException("no password given: add --password-file FILE or --password-env VAR");
        }
        Credential signer = Keystores.load(key, password.read(false));
        Directory d = DirectoryEdits.read(Files.readAllBytes(draft));
        byte[] signed = DirectorySigner.sign(d, signer);
        out.write(signed);
        spec.commandLine().getOut().println("Signed directory #" + d.getSequence() + " (" + d.getAuthority().size()
                + " authorities, " + d.getJit().size() + " JITs) -> " + out);
        return 0;
    }
}
