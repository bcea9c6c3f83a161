package org.liaison.gateway.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.liaison.certs.SecureFiles;

/**
 * A person's profile folder ({@code liaison --profile DIR}): {@code profile.yaml} naming the
 * authority, the local API of its gateway, the personal keystore and its password file, and the
 * federation folder whose directory and CRLs verify packages offline.
 */
public record UserProfile(String authority, String role, String gateway, String keystore, String passwordFile,
        String gatewayCa, String federation) {
    public static final String FILE = "profile.yaml";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public UserProfile validate() {
        for (String[] f : new String[][] {{"authority", authority}, {"role", role}, {"gateway", gateway},
            {"keystore", keystore}, {"passwordFile", passwordFile}, {"gatewayCa", gatewayCa}, {"federation", federation}}) {
            if (f[1] == null || f[1].isBlank()) {
                throw new IllegalArgumentException(f[0] + ": missing");
            }
        }
        if (!gateway.startsWith("https://")) {
            throw new IllegalArgumentException("gateway: " + gateway + " (expected: an https:// URL)");
        }
        return this;
    }

    public static UserProfile load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        try {
            return YAML.readValue(Files.readString(file, StandardCharsets.UTF_8), UserProfile.class).validate();
        } catch (NoSuchFileException e) {
            throw new IOException(dir + " is not a profile folder (no " + FILE + "); make one with `liaison certs init-federation`");
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(file + ": unknown field '" + e.getPropertyName() + "'");
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    public void write(Path dir) throws IOException {
        validate();
        String text = "# Liaison profile: use it with `liaison --profile " + dir + " COMMAND`\n" + YAML.writeValueAsString(this);
        SecureFiles.writeAtomically(dir.resolve(FILE), text.getBytes(StandardCharsets.UTF_8), false);
    }
}
