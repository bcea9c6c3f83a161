package org.liaison.gateway.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.liaison.gateway.audit.PeerLogs;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.Merkle;

/**
 * The peer API's answer to {@code GET /liaison/v1/audit/consistency?from=N&to=M}: the log's
 * verifier key and the RFC 9162 consistency proof, as JSON
 * {@code {"verifierKey": "...", "from": N, "to": M, "proof": ["hex", ...]}}, and from schema 1.4 {@code "cosigned"}: the
 * node's latest checkpoint with its witnesses' cosignatures (what a peer checks the quorum on).
 */
public final class AuditProofs {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HASHES = 128;
    private static final int MAX_NOTE = 32 * 1024;

    private AuditProofs() {}

    static byte[] writeProof(String verifierKey, long from, long to, List<byte[]> proof) throws IOException {
        return writeProof(verifierKey, from, to, proof, null);
    }

    /** As above, with the node's latest cosigned checkpoint ({@code "cosigned"}, from schema 1.4; null: none). */
    static byte[] writeProof(String verifierKey, long from, long to, List<byte[]> proof, String cosigned) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        if (cosigned != null) {
            o.put("cosigned", cosigned);
        }
        o.put("verifierKey", verifierKey);
        o.put("from", from);
        o.put("to", to);
        proof.forEach(h -> o.withArray("proof").add(HexFormat.of().formatHex(h)));
        if (proof.isEmpty()) {
            o.putArray("proof");
        }
        return JSON.writeValueAsBytes(o);
    }

    /** Reads a peer's answer; anything malformed is a protocol error, never a crash. */
    public static PeerLogs.Proof readProof(byte[] body) throws ProtocolException {
        try {
            JsonNode o = JSON.readTree(body);
            String key = o.path("verifierKey").asText(null);
            JsonNode hashes = o.path("proof");
            if (key == null || !hashes.isArray() || hashes.size() > MAX_HASHES) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "malformed consistency proof answer");
            }
            List<byte[]> out = new ArrayList<>();
            for (JsonNode h : hashes) {
                byte[] b = HexFormat.of().parseHex(h.asText());
                if (b.length != Merkle.HASH_SIZE) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "consistency proof hash of " + b.length + " bytes");
                }
                out.add(b);
            }
            String cosigned = o.path("cosigned").asText(null);
            if (cosigned != null && cosigned.length() > MAX_NOTE) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a cosigned checkpoint of " + cosigned.length() + " characters");
            }
            return new PeerLogs.Proof(key, out, cosigned);
        } catch (IOException | IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "malformed consistency proof answer: " + e.getMessage());
        }
    }
}
