package org.liaison.protocol.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CaStore;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.protocol.directory.DirectoryDrafts;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.Directory;

/** Three authorities (IT-DNA, AL-PP, US-OIA) with a JIT, a signed directory, and the trust each gateway has. */
public final class TestFederation {
    public static final AuthorityId IT = AuthorityId.of("IT-DNA");
    public static final AuthorityId AL = AuthorityId.of("AL-PP");
    public static final AuthorityId US = AuthorityId.of("US-OIA");
    public static final String JIT = "JIT-CORRIDOR-2026";

    public final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    public final FederationPki pki;
    public final byte[] directoryXml;
    public final FederationDirectory directory;
    public final DirectoryVerifier verifier;

    public TestFederation(Path dir, Suite suite) throws Exception {
        pki = FederationPki.create(dir, List.of(IT, AL, US), suite, now, Duration.ofDays(365));
        directoryXml = DirectorySigner.sign(draft(1, now.plus(Duration.ofDays(7))), pki.directorySigning());
        verifier = new DirectoryVerifier(pki.operator().authority().certificate(), List.of(operatorCrl()));
        directory = verifier.verify(directoryXml, now);
    }

    public Directory draft(long sequence, Instant nextUpdate) {
        return DirectoryDrafts.draft(pki, "Test federation", Map.of(IT, "https://127.0.0.1:7001", AL, "https://127.0.0.1:7002",
                US, "https://127.0.0.1:7003"), sequence, now, nextUpdate, List.of(new DirectoryDrafts.JitDraft(JIT,
                "Operation Corridor", IT, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(180)), "19",
                "Agreement on a joint investigation team, 2026")));
    }

    public X509CRL operatorCrl() throws Exception {
        return Pem.readCrl(pki.operator().directory().resolve(CaStore.CRL));
    }

    /** Current CRLs of every national CA, as read from their folders now. */
    public List<X509CRL> crls() throws Exception {
        List<X509CRL> out = new ArrayList<>();
        for (FederationPki.Authority a : pki.authorities().values()) {
            Path crl = a.ca().directory().resolve(CaStore.CRL);
            if (Files.exists(crl)) {
                out.add(Pem.readCrl(crl));
            }
        }
        return out;
    }

    public Trust trust() throws Exception {
        return new Trust(directory, crls());
    }

    public FederationPki.Authority authority(AuthorityId id) {
        return pki.authority(id);
    }
}
