package org.liaison.protocol.testing;

import java.util.concurrent.TimeUnit;

/** xmlsec1 (libxmlsec1 + OpenSSL), the independent implementation the interop tests check against. */
public final class Xmlsec {
    private Xmlsec() {}

    /** Whether {@code xmlsec1} runs here (CI installs it). */
    public static boolean present() {
        try {
            Process p = new ProcessBuilder("xmlsec1", "--version").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
