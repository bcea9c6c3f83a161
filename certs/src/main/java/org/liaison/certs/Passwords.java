package org.liaison.certs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Keystore passwords come from a file or an environment variable, never from a command-line
 * argument (which other users of the machine can read in the process list).
 */
public final class Passwords {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Passwords() {}

    /** Reads a password file: its first line, without the line end. */
    public static char[] fromFile(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("password file " + file + " does not exist");
        }
        try {
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
            char[] password = Arrays.copyOfRange(chars.array(), chars.position(), chars.limit());
            Arrays.fill(chars.array(), '\0');
            if (password.length == 0) {
                throw new IOException("password file " + file + " is empty");
            }
            return password;
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Reads a password from an environment variable. */
    public static char[] fromEnvironment(String variable) throws IOException {
        String value = System.getenv(variable);
        if (value == null || value.isEmpty()) {
            throw new IOException("environment variable " + variable + " is not set or empty");
        }
        return value.toCharArray();
    }

    /**
     * Returns the password in {@code file}, first creating the file (owner-only, random 256-bit
     * password) when it does not exist yet.
     */
    public static char[] fromFileOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            RANDOM.nextBytes(raw);
            byte[] text = (Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            SecureFiles.writeNew(file, text, true);
            Arrays.fill(raw, (byte) 0);
            Arrays.fill(text, (byte) 0);
        }
        return fromFile(file);
    }
}
