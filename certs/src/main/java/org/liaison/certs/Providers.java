package org.liaison.certs;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The JCA providers Liaison chooses explicitly. Bouncy Castle is used as an object, never
 * installed into the JVM-wide provider list, so that nothing else in the process changes
 * behaviour because Liaison is loaded.
 *
 * <p>One exception: {@link #installAsFallback()} appends Bouncy Castle at the lowest priority,
 * so that it only serves algorithms the JDK does not have (Santuario asks for RSA-PSS by the
 * name {@code SHA256withRSAandMGF1}, which only Bouncy Castle knows). Nothing the JDK provides
 * changes provider.
 *
 * <p>Measured with {@code liaison bench keys} on JDK 17 (2 cores): Bouncy Castle is 7–14× faster
 * than SunEC for Ed25519 and ECDSA P-256 key generation, signing and verification and 2× for
 * X25519; RSA-3072 is the same in both. So Ed25519, X25519 and EC work goes to Bouncy Castle;
 * RSA stays with the JDK.
 */
public final class Providers {
    private static final Provider BC = new BouncyCastleProvider();

    private Providers() {}

    public static Provider bouncyCastle() {
        return BC;
    }

    /** Appends Bouncy Castle to the JVM's provider list, last; idempotent. */
    public static synchronized void installAsFallback() {
        if (java.security.Security.getProvider(BC.getName()) == null) {
            java.security.Security.addProvider(BC);
        }
    }
}
