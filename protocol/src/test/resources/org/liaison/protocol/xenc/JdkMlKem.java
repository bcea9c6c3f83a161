// Run by HybridKemTest with Java 25's source launcher (JEP 496: the JDK's own ML-KEM). Not compiled with the project.
// args[0]: a Bouncy Castle ML-KEM-768 public key (X.509 SubjectPublicKeyInfo, hex).
// Prints "enc <ciphertext> <secret>" (the JDK encapsulating to that key), then "pk <SubjectPublicKeyInfo>" of a
// key pair of its own; reads "ct <ciphertext>" (Bouncy Castle encapsulating to that key) and prints "dec <secret>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import javax.crypto.KEM;

public class JdkMlKem {
    public static void main(String[] args) throws Exception {
        HexFormat hex = HexFormat.of();
        KEM kem = KEM.getInstance("ML-KEM");
        KeyFactory factory = KeyFactory.getInstance("ML-KEM");
        PublicKey theirs = factory.generatePublic(new X509EncodedKeySpec(hex.parseHex(args[0])));
        KEM.Encapsulator encapsulator = kem.newEncapsulator(theirs);
        KEM.Encapsulated e = encapsulator.encapsulate();
        System.out.println("enc " + hex.formatHex(e.encapsulation()) + " " + hex.formatHex(e.key().getEncoded()));
        KeyPair mine = KeyPairGenerator.getInstance("ML-KEM-768").generateKeyPair();
        System.out.println("pk " + hex.formatHex(mine.getPublic().getEncoded()) + " " + encapsulator.providerName() + "," + factory.getProvider().getName());
        System.out.flush();
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)).readLine();
        if (line == null || !line.startsWith("ct ")) {
            throw new IllegalArgumentException("expected a ct line");
        }
        byte[] secret = kem.newDecapsulator(mine.getPrivate()).decapsulate(hex.parseHex(line.substring(3))).getEncoded();
        System.out.println("dec " + hex.formatHex(secret));
    }
}
