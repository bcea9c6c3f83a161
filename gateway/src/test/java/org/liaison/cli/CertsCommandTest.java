package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Credential;
import org.liaison.certs.Keystores;
import org.liaison.certs.Passwords;

/** The operator's PKI workflow through the real command line. */
class CertsCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    Run liaison(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void helpPrintsUsageWithExamplesAndExitsZero() {
        Run root = liaison("--help");
        assertThat(root.exit()).isZero();
        assertThat(root.out()).contains("Usage: liaison").contains("certs").contains("Examples:");
        for (String sub : new String[] {"create-ca", "issue", "revoke", "crl", "inspect", "verify"}) {
            Run r = liaison("certs", sub, "--help");
            assertThat(r.exit()).as(sub).isZero();
            assertThat(r.out()).as(sub).contains("Usage: liaison certs " + sub).contains("Example");
        }
    }

    @Test
    void pqHybridCaIssuesAnEncryptionKeystoreWithBothCertificatesThatVerify() throws Exception {
        Run ca = liaison("certs", "create-ca", "--out", p("ca"), "--name", "CN=AL-PP National CA, O=Prokuroria, C=AL",
                "--suite", "pq-hybrid", "--password-file", p("ca.pw"));
        assertThat(ca.exit()).as(ca.err()).isZero();
        Run issue = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "encryption",
                "--suite", "pq-hybrid", "--subject", "CN=AL-PP encryption, O=Prokuroria, C=AL", "--out", p("enc.p12"),
                "--password-file", p("enc.pw"), "--json");
        assertThat(issue.exit()).as(issue.err()).isZero();
        assertThat(issue.out()).contains("\"key\" : \"X25519\"").contains("\"kemKey\" : \"ML-KEM-768\"");
        Credential c = Keystores.load(dir.resolve("enc.p12"),
                Passwords.fromFile(dir.resolve("enc.pw")));
        assertThat(c.kemCertificate()).isPresent();
        for (String pem : new String[] {"enc.pem", "enc-kem.pem"}) {
            Run ok = liaison("certs", "verify", p(pem), "--purpose", "encryption", "--anchor", p("ca/ca.pem"), "--crl", p("ca/crl.pem"));
            assertThat(ok.exit()).as(pem + ok.out() + ok.err()).isZero();
        }
        // Without --suite, an Ed25519 CA's encryption key is X25519 alone (modern), as before.
        Run modern = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "encryption",
                "--subject", "CN=AL-PP encryption 2, O=Prokuroria, C=AL", "--out", p("enc2.p12"), "--password-file", p("enc.pw"));
        assertThat(modern.exit()).as(modern.err()).isZero();
        assertThat(Files.exists(dir.resolve("enc2-kem.pem"))).isFalse();
        // A suite whose signatures the CA cannot make is refused, and nothing is written.
        Run rsa = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "encryption",
                "--suite", "rsa", "--subject", "CN=x, C=AL", "--out", p("enc3.p12"), "--password-file", p("enc.pw"));
        assertThat(rsa.exit()).isNotZero();
        assertThat(rsa.err()).contains("--suite rsa needs a CA with an RSA-3072 key");
        assertThat(Files.exists(dir.resolve("enc3.p12"))).isFalse();
    }

    @Test
    void issueVerifyRevokeVerifyAgain() throws Exception {
        Run ca = liaison("certs", "create-ca", "--out", p("ca"), "--name", "CN=AL-PP National CA, O=Prokuroria, C=AL",
                "--password-file", p("ca.pw"));
        assertThat(ca.exit()).as(ca.err()).isZero();
        assertThat(Files.getPosixFilePermissions(dir.resolve("ca.pw"))).doesNotContain(PosixFilePermission.GROUP_READ,
                PosixFilePermission.OTHERS_READ);

        Run issue = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "gateway-tls",
                "--subject", "CN=AL-PP gateway, O=Prokuroria, C=AL", "--dns", "localhost", "--ip", "127.0.0.1",
                "--out", p("gw.p12"), "--password-file", p("gw.pw"), "--json");
        assertThat(issue.exit()).as(issue.err()).isZero();
        assertThat(issue.out()).contains("\"key\" : \"EC-P256\"");

        String[] verify = {"certs", "verify", p("gw.pem"), "--purpose", "tls-server", "--anchor", p("ca/ca.pem"),
            "--crl", p("ca/crl.pem")};
        Run ok = liaison(verify);
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).startsWith("VALID for tls-server");

        Run wrongPurpose = liaison("certs", "verify", p("gw.p12"), "--password-file", p("gw.pw"), "--purpose", "investigator",
                "--anchor", p("ca/ca.pem"), "--crl", p("ca/crl.pem"));
        assertThat(wrongPurpose.exit()).isEqualTo(Main.FAILED);
        assertThat(wrongPurpose.out()).contains("wrong purpose: needs role investigator, has none");

        Run revoke = liaison("certs", "revoke", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--cert", p("gw.pem"),
                "--reason", "keyCompromise");
        assertThat(revoke.exit()).as(revoke.err()).isZero();

        Run refused = liaison(verify);
        assertThat(refused.exit()).isEqualTo(Main.FAILED);
        assertThat(refused.out()).contains("REJECTED").contains("(keyCompromise)").contains("REVOKED");

        Run inspect = liaison("certs", "inspect", p("ca/crl.pem"), "--json");
        assertThat(inspect.exit()).isZero();
        assertThat(inspect.out()).contains("keyCompromise");
    }

    @Test
    void withoutACrlVerificationFailsClosed() {
        liaison("certs", "create-ca", "--out", p("ca"), "--name", "CN=US-OIA CA, O=DOJ, C=US", "--password-file", p("ca.pw"),
                "--suite", "rsa");
        liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "auditor", "--subject",
                "CN=Auditor, O=DOJ, C=US", "--out", p("a.p12"), "--password-file", p("a.pw"));
        Run r = liaison("certs", "verify", p("a.pem"), "--purpose", "auditor", "--anchor", p("ca/ca.pem"));
        assertThat(r.exit()).isEqualTo(Main.FAILED);
        assertThat(r.out()).contains("no CRL from CN=US-OIA CA");
    }

    @Test
    void errorsAreOneSentenceWithoutStackTraceAndChangeNothing() throws Exception {
        liaison("certs", "create-ca", "--out", p("ca"), "--name", "CN=SV-FGR CA, O=FGR, C=SV", "--password-file", p("ca.pw"));
        String issuedBefore = Files.readString(dir.resolve("ca/issued.tsv"));
        Files.writeString(dir.resolve("wrong.pw"), "not the password\n");

        Run wrongPw = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("wrong.pw"), "--profile", "operator",
                "--subject", "CN=Op", "--out", p("op.p12"), "--password-file", p("op.pw"));
        assertThat(wrongPw.exit()).isEqualTo(Main.FAILED);
        assertThat(wrongPw.err()).contains("the password is wrong").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(dir.resolve("op.p12")).doesNotExist();
        assertThat(Files.readString(dir.resolve("ca/issued.tsv"))).isEqualTo(issuedBefore);

        Run noPw = liaison("certs", "crl", "--ca", p("ca"));
        assertThat(noPw.exit()).isEqualTo(Main.FAILED);
        assertThat(noPw.err()).contains("add --ca-password-file FILE");

        Run badSubject = liaison("certs", "issue", "--ca", p("ca"), "--ca-password-file", p("ca.pw"), "--profile", "operator",
                "--subject", "not a name", "--out", p("op.p12"), "--password-file", p("op.pw"));
        assertThat(badSubject.exit()).isEqualTo(Main.FAILED);
        assertThat(badSubject.err()).contains("subject: not a name (expected: a distinguished name");

        Run usage = liaison("certs", "issue", "--ca", p("ca"));
        assertThat(usage.exit()).isEqualTo(Main.USAGE);
        assertThat(usage.err()).contains("Missing required option").contains("--help");

        Run again = liaison("certs", "create-ca", "--out", p("ca"), "--name", "CN=Other", "--password-file", p("ca.pw"));
        assertThat(again.exit()).isEqualTo(Main.FAILED);
        assertThat(again.err()).contains("refusing to overwrite");
    }

    @Test
    void intermediateCaChainsToItsParent() {
        liaison("certs", "create-ca", "--out", p("root"), "--name", "CN=Root", "--password-file", p("root.pw"), "--path-len", "1");
        Run inter = liaison("certs", "create-ca", "--out", p("inter"), "--name", "CN=Issuing", "--password-file", p("inter.pw"),
                "--parent", p("root"), "--ca-password-file", p("root.pw"));
        assertThat(inter.exit()).as(inter.err()).isZero();
        liaison("certs", "issue", "--ca", p("inter"), "--ca-password-file", p("inter.pw"), "--profile", "encryption",
                "--subject", "CN=Enc", "--out", p("enc.p12"), "--password-file", p("enc.pw"));
        Run v = liaison("certs", "verify", p("enc.pem"), "--purpose", "encryption", "--anchor", p("root/ca.pem"),
                "--crl", p("root/crl.pem"), "--crl", p("inter/crl.pem"), "--json");
        assertThat(v.exit()).as(v.out() + v.err()).isZero();
        assertThat(v.out()).contains("\"valid\" : true").contains("CN=Issuing");
    }
}
