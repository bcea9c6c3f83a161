package org.liaison.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.UserException;
import org.liaison.protocol.UntrustedText;

/** What the node says its witnesses hold ({@code GET audit-witnesses}), kept in a pulled copy as {@code witness-ID.note}. */
final class WitnessNotes {
    static final int MAX_NOTE = 32 * 1024;

    private WitnessNotes() {}

    /**
     * Keeps each witness's latest cosigned checkpoint in {@code dir}; returns a line for each witness that could not be asked.
     * The answer is the node's, untrusted: anything but a list of rows, each naming a witness by its authority id once, with
     * its checkpoint as text of at most {@value #MAX_NOTE} characters (or an error), refuses the pull ({@link UserException});
     * a refused row writes nothing, and no row writes anything but {@code dir/witness-ID.note}.
     */
    static List<String> keep(JsonNode rows, Path dir) throws IOException {
        if (!rows.isArray()) {
            throw new UserException("the gateway's answer about its witnesses is not a list");
        }
        List<String> lines = new ArrayList<>();
        Set<AuthorityId> seen = new HashSet<>();
        for (JsonNode r : rows) {
            JsonNode named = r.path("witness");
            AuthorityId w;
            try {
                w = AuthorityId.of(named.isTextual() ? named.asText() : null);
            } catch (IllegalArgumentException e) {
                String shown = named.isTextual() ? named.asText() : named.toString();
                throw new UserException("the gateway named a witness that is no authority id: "
                        + UntrustedText.printable(shown.length() > 40 ? shown.substring(0, 40) + "..." : shown));
            }
            if (!seen.add(w)) {
                throw new UserException("the gateway named witness " + w + " twice");
            }
            JsonNode checkpoint = r.path("checkpoint");
            if (checkpoint.isMissingNode() || checkpoint.isNull()) {
                lines.add("witness " + w + " could not be asked: " + r.path("error").asText("no answer"));
            } else if (!checkpoint.isTextual()) {
                throw new UserException("the gateway sent a checkpoint for witness " + w + " that is not text");
            } else if (checkpoint.asText().length() > MAX_NOTE) {
                throw new UserException("the gateway sent an oversized checkpoint for witness " + w);
            } else {
                SecureFiles.writeNew(dir.resolve(PullCommand.WITNESS_PREFIX + w.value() + ".note"),
                        checkpoint.asText().getBytes(StandardCharsets.UTF_8), false);
            }
        }
        return lines;
    }
}
