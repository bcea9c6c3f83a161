package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Keystores;
import org.liaison.certs.Passwords;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.config.UserProfile;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.EvidenceFolder;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/** init-federation, directory sign/verify/show and offline package verification through the command line. */
class FederationCommandsTest {
    @TempDir
    static Path dir;

    static Path fed;

    record Run(int exit, String out, String err) {}

    static Run liaison(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void createFederation() {
        fed = dir.resolve("fed");
        Run r = liaison("certs", "init-federation", "--out", fed.toString(), "--authorities", "IT-DNA,AL-PP,US-OIA");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("signed directory #1").contains("IT-DNA").contains("--profile");
    }

    @Test
    void initFederationWritesLoadableNodeConfigsAndProfiles() throws Exception {
        for (String id : List.of("IT-DNA", "AL-PP", "US-OIA")) {
            NodeConfig n = NodeConfig.load(fed.resolve(id).resolve("node.yaml"));
            assertThat(n.authority()).isEqualTo(id);
            assertThat(Files.exists(NodeConfig.resolve(fed.resolve(id).resolve("node.yaml"), n.directory().file()))).isTrue();
            UserProfile p = UserProfile.load(fed.resolve(id).resolve("users/investigator"));
            assertThat(p.gateway()).isEqualTo("https://127.0.0.1:" + n.local().port());
        }
        Run again = liaison("certs", "init-federation", "--out", fed.toString(), "--authorities", "IT-DNA");
        assertThat(again.exit()).isEqualTo(Main.FAILED);
        assertThat(again.err()).contains("is not empty");
        Run bad = liaison("certs", "init-federation", "--out", dir.resolve("x").toString(), "--authorities", "Italy");
        assertThat(bad.exit()).isEqualTo(Main.FAILED);
        assertThat(bad.err()).contains("authority id: Italy");
    }

    @Test
    void directoryVerifyAndShow() {
        Run v = liaison("directory", "verify", fed.resolve("directory.xml").toString(), "--federation", fed.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).startsWith("VALID directory #1");
        Run s = liaison("directory", "show", fed.resolve("directory.xml").toString(), "--federation", fed.toString(), "--json");
        assertThat(s.exit()).isZero();
        assertThat(s.out()).contains("\"id\" : \"AL-PP\"").contains("JIT-IT-AL-US-");
    }

    @Test
    void resignedDirectoryMustBeNewerThanTheCurrentOne() throws Exception {
        String xml = Files.readString(fed.resolve("directory.xml"));
        Path draft = dir.resolve("draft.xml");
        Files.writeString(draft, xml.replace("sequence=\"1\"", "sequence=\"2\""));
        Path op = fed.resolve("operator");
        Run sign = liaison("directory", "sign", draft.toString(), "--key", op.resolve("directory-signing.p12").toString(),
                "--password-file", op.resolve("directory-signing.password").toString(), "--out", dir.resolve("v2.xml").toString());
        assertThat(sign.exit()).as(sign.err()).isZero();
        Run newer = liaison("directory", "verify", dir.resolve("v2.xml").toString(), "--federation", fed.toString(),
                "--current", fed.resolve("directory.xml").toString());
        assertThat(newer.exit()).as(newer.out() + newer.err()).isZero();
        Run rollback = liaison("directory", "verify", fed.resolve("directory.xml").toString(), "--federation", fed.toString(),
                "--current", dir.resolve("v2.xml").toString());
        assertThat(rollback.exit()).isEqualTo(Main.FAILED);
        assertThat(rollback.out()).contains("rollback refused").contains("LIAISON:0009");

        // Signed with an authority's gateway key instead of the operator's: refused.
        Path it = fed.resolve("IT-DNA");
        liaison("directory", "sign", draft.toString(), "--key", it.resolve("envelope-signing.p12").toString(),
                "--password-file", it.resolve("envelope-signing.password").toString(), "--out", dir.resolve("forged.xml").toString());
        Run forged = liaison("directory", "verify", dir.resolve("forged.xml").toString(), "--federation", fed.toString());
        assertThat(forged.exit()).isEqualTo(Main.FAILED);
        assertThat(forged.out()).contains("not signed by the federation operator");
    }

    /** A package folder as an Italian investigator would make it, signed with the profile's credential. */
    static Path packageFolder(String name) throws Exception {
        Path u = fed.resolve("IT-DNA/users/investigator");
        Credential investigator = Keystores.load(u.resolve("credential.p12"), Passwords.fromFile(u.resolve("credential.password")));
        Path pkg = dir.resolve(name);
        Files.createDirectories(pkg.resolve("files"));
        byte[] content = "Witness statement W-17 (protected)".getBytes(StandardCharsets.UTF_8);
        Files.write(pkg.resolve("files/statement.txt"), content);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        FileEntry f = new FileEntry("statement.txt", "text/plain", content.length, EvidenceFolder.sha256(pkg.resolve("files/statement.txt")),
                List.of(new FileEntry.Custody("Polizia di Stato, Bari", now, "interview record", "")));
        ManifestSpec spec = new ManifestSpec("OP-CORRIDOR-2026", Service.MLA_REQUEST, AuthorityId.of("IT-DNA"),
                List.of(AuthorityId.of("AL-PP")), null, Instrument.UNTOC, "18", "", Classification.SECRET,
                Set.of(HandlingFlag.WITNESS_PROTECTED), null);
        Files.write(pkg.resolve("manifest.xml"), Manifests.sign(spec, List.of(f), investigator, UUID.randomUUID(), now));
        return pkg;
    }

    @Test
    void verifyPackageFolderOfflineAndDetectTampering() throws Exception {
        Path pkg = packageFolder("pkg-good");
        Run ok = liaison("verify", pkg.toString(), "--federation", fed.toString());
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).contains("manifest signature").contains("statement.txt").contains("VALID");

        Path bad = packageFolder("pkg-bad");
        Files.writeString(bad.resolve("files/statement.txt"), "Witness statement W-18 (protected)");
        Files.writeString(bad.resolve("files/extra.txt"), "smuggled in");
        Run r = liaison("verify", bad.toString(), "--federation", fed.toString(), "--json");
        assertThat(r.exit()).isEqualTo(Main.FAILED);
        assertThat(r.out()).contains("\"valid\" : false").contains("does not match the manifest").contains("is not listed in the manifest");

        Path forged = packageFolder("pkg-forged");
        String m = Files.readString(forged.resolve("manifest.xml")).replace("OP-CORRIDOR-2026", "OP-OTHER-2026");
        Files.writeString(forged.resolve("manifest.xml"), m);
        Run f = liaison("verify", forged.toString(), "--federation", fed.toString());
        assertThat(f.exit()).isEqualTo(Main.FAILED);
        assertThat(f.out()).contains("FAIL").contains("LIAISON:0006");
    }
}
