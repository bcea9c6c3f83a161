package org.liaison.protocol.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Test vector: golang.org/x/mod/sumdb/note, note_test.go / package documentation (the
 * "PeterNeumann" key and note), the reference for C2SP signed notes.
 */
class SignedNoteTest {
    static final String TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    static final String NOTE = TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    static final String VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    static SignedNote.Signer peter() throws Exception {
        byte[] seed = Arrays.copyOfRange(Base64.getDecoder().decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"), 1, 33);
        byte[] pub = Arrays.copyOfRange(Base64.getDecoder().decode(VKEY.split("\\+", 3)[2]), 1, 33);
        return new SignedNote.Signer("PeterNeumann", seed, pub);
    }

    @Test
    void signsAndOpensTheReferenceNote() throws Exception {
        SignedNote.Signer s = peter();
        assertThat(s.verifierKey()).isEqualTo(VKEY);
        assertThat(SignedNote.sign(TEXT, s)).isEqualTo(NOTE);
        assertThat(SignedNote.open(NOTE, VKEY)).isEqualTo(TEXT);
    }

    @Test
    void tamperedNoteOrAnotherKeyIsRefused() throws Exception {
        assertThatThrownBy(() -> SignedNote.open(NOTE.replace("cryptography", "cryptographY"), VKEY))
                .isInstanceOf(GeneralSecurityException.class);
        SignedNote.Signer other = SignedNote.Signer.of("PeterNeumann", new byte[32]);
        assertThatThrownBy(() -> SignedNote.open(SignedNote.sign(TEXT, other), VKEY)).isInstanceOf(GeneralSecurityException.class);
        // A signer whose public key is not its seed's is refused when made, not discovered by a verifier later.
        assertThatThrownBy(() -> new SignedNote.Signer("PeterNeumann", new byte[32], peter().publicKey()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignedNote.open(NOTE, VKEY.replace("c74f20a3", "c74f20a4")))
                .hasMessageContaining("key hash does not match");
    }

    @Test
    void checkpointTextRoundTripsAndIsSignable() throws Exception {
        byte[] root = HexFormat.of().parseHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
        Checkpoint c = new Checkpoint("liaison.example/IT-DNA", 8, root);
        assertThat(c.text()).isEqualTo("liaison.example/IT-DNA\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
        String note = SignedNote.sign(c.text(), peter());
        Checkpoint back = Checkpoint.parse(SignedNote.open(note, VKEY));
        assertThat(back.size()).isEqualTo(8);
        assertThat(back.rootHash()).isEqualTo(root);
    }

    /** The same base64 value with the lowest (unused) bit of its last character set: decodes to the same bytes. */
    static String respelled(String base64) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int last = base64.replace("=", "").length() - 1;
        char c = alphabet.charAt(alphabet.indexOf(base64.charAt(last)) ^ 1);
        String other = base64.substring(0, last) + c + base64.substring(last + 1);
        assertThat(java.util.Base64.getDecoder().decode(other)).isEqualTo(java.util.Base64.getDecoder().decode(base64));
        return other;
    }

    @Test
    void anotherSpellingOfTheSameSignatureOrRootIsRefused() throws Exception {
        // Every byte of a stored note must matter: base64 with non-zero padding bits decodes to the same
        // bytes, and a lenient reader would accept a changed file.
        String sig = NOTE.substring(NOTE.lastIndexOf(' ') + 1, NOTE.length() - 1);
        assertThat(sig).endsWith("=");
        assertThatThrownBy(() -> SignedNote.open(NOTE.replace(sig, respelled(sig)), VKEY)).isInstanceOf(GeneralSecurityException.class);
        String root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
        assertThatThrownBy(() -> Checkpoint.parse("liaison.example/IT-DNA\n8\n" + respelled(root) + "\n"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.parse("liaison.example/IT-DNA\n08\n" + root + "\n")).isInstanceOf(IllegalArgumentException.class);
    }
}
