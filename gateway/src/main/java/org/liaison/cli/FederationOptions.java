package org.liaison.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CaStore;
import org.liaison.certs.Pem;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;
import picocli.CommandLine.Option;

/**
 * Where the trust for offline checks comes from: a federation folder made by
 * {@code init-federation}, or the directory, operator CA and CRL files named one by one.
 */
public final class FederationOptions {
    @Option(names = "--federation", paramLabel = "DIR",
            description = "Federation folder (from `liaison certs init-federation`): directory, operator CA and CRLs are taken from it.")
    Path federation;

    @Option(names = "--directory", paramLabel = "FILE", description = "Signed directory (default: DIR/directory.xml of --federation).")
    Path directory;

    @Option(names = "--operator-ca", paramLabel = "FILE", description = "The federation operator's CA certificate, which the directory must be signed under.")
    Path operatorCa;

    @Option(names = "--operator-crl", paramLabel = "FILE", description = "The operator CA's CRL.")
    Path operatorCrl;

    @Option(names = "--crl", paramLabel = "FILE", description = "CRL of a national CA (repeatable; with --federation, every authority's is read).")
    List<Path> crls = new ArrayList<>();

    /** Uses a federation folder, as --federation does. */
    public void federationDir(Path dir) {
        this.federation = dir;
    }

    public Path directoryFile() {
        if (directory != null) {
            return directory;
        }
        if (federation != null) {
            return federation.resolve(FederationSetup.DIRECTORY);
        }
        throw new UserException("say which directory to use: give --federation DIR or --directory FILE");
    }

    public boolean canVerify() {
        return operatorCa != null || federation != null;
    }

    public DirectoryVerifier verifier() throws IOException {
        Path ca = operatorCa != null ? operatorCa : federation == null ? null : federation.resolve("operator/ca/" + CaStore.CERTIFICATE);
        Path crl = operatorCrl != null ? operatorCrl : federation == null ? null : federation.resolve("operator/ca/" + CaStore.CRL);
        if (ca == null || crl == null) {
            throw new UserException("say which operator CA to trust: give --federation DIR, or --operator-ca FILE and --operator-crl FILE");
        }
        return new DirectoryVerifier(Pem.readCertificate(ca), List.of(Pem.readCrl(crl)));
    }

    public FederationDirectory verifiedDirectory(Instant now) throws IOException, ProtocolException {
        return verifier().verify(read(directoryFile()), now);
    }

    /** The verified directory and every CRL available (named, or each authority's in the federation folder). */
    public Trust trust(Instant now) throws IOException, ProtocolException {
        FederationDirectory d = verifiedDirectory(now);
        List<X509CRL> list = new ArrayList<>();
        for (Path c : crls) {
            list.add(Pem.readCrl(c));
        }
        if (federation != null) {
            for (AuthorityId id : d.authorities().keySet()) {
                Path c = federation.resolve(id.value()).resolve("ca").resolve(CaStore.CRL);
                if (Files.exists(c)) {
                    list.add(Pem.readCrl(c));
                }
            }
        }
        return new Trust(d, list);
    }

    static byte[] read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException(file + " does not exist");
        }
        return Files.readAllBytes(file);
    }
}
