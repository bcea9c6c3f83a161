package org.liaison.protocol.dsig;

import org.liaison.certs.Providers;

/** One-time initialisation of Apache Santuario, shared by signing and encryption. */
public final class Santuario {
    static {
        Providers.installAsFallback();
        org.apache.xml.security.Init.init();
        // Ahead of Santuario's own, which can mistake an X25519 key for a DSA key (see there).
        org.apache.xml.security.keys.keyresolver.KeyResolver.register(new StrictDerKeyResolver(), true);
    }

    private Santuario() {}

    /** Ensures Santuario is initialised; cheap after the first call. */
    public static void init() {
        // The static initialiser does the work exactly once.
    }
}
