package org.liaison.cli.certs;

import java.io.IOException;
import java.nio.file.Path;
import org.liaison.certs.Passwords;
import org.liaison.cli.UserException;
import picocli.CommandLine.Option;

/** Where the password of the keystore being written or read comes from (never the command line itself). */
public final class PasswordOptions {
    @Option(names = "--password-file", paramLabel = "FILE",
            description = "File holding the keystore password (first line). When writing a new keystore and FILE does "
                    + "not exist, a random password is generated into it (readable by you only).")
    Path file;

    @Option(names = "--password-env", paramLabel = "VAR", description = "Environment variable holding the keystore password.")
    String env;

    static char[] read(PasswordOptions o, String prefix, boolean createIfMissing) throws IOException {
        if (o != null && o.file != null) {
            return createIfMissing ? Passwords.fromFileOrCreate(o.file) : Passwords.fromFile(o.file);
        }
        if (o != null && o.env != null) {
            return Passwords.fromEnvironment(o.env);
        }
        throw new UserException("no password given: add --" + prefix + "password-file FILE or --" + prefix + "password-env VAR");
    }

    public char[] read(boolean createIfMissing) throws IOException {
        return read(this, "", createIfMissing);
    }

    /** The CA keystore's password, with its own option names so that both can be given at once. */
    public static final class Ca {
        @Option(names = "--ca-password-file", paramLabel = "FILE", description = "File holding the CA keystore password.")
        Path file;

        @Option(names = "--ca-password-env", paramLabel = "VAR", description = "Environment variable holding the CA keystore password.")
        String env;

        /** The CA password from whichever option was given; an error naming both options when none was. */
        public static char[] require(Ca options) throws IOException {
            if (options == null) {
                throw new UserException("no CA password given: add --ca-password-file FILE or --ca-password-env VAR");
            }
            return options.read();
        }

        public char[] read() throws IOException {
            PasswordOptions o = new PasswordOptions();
            o.file = file;
            o.env = env;
            return PasswordOptions.read(o, "ca-", false);
        }
    }
}
