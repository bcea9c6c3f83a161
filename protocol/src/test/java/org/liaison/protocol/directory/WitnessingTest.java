package org.liaison.protocol.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.testing.TestFederation;
import org.liaison.protocol.tlog.Cosignature;

/** The directory's witness keys and witness policies: signed with the rest, checked when read, edited by the operator. */
class WitnessingTest {
    @TempDir
    Path dir;

    static Cosignature.Cosigner cosigner(AuthorityId id, int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return Cosignature.Cosigner.of("liaison-witness/" + id.value(), seed);
    }

    private Directory withWitnesses(TestFederation f) {
        Map<AuthorityId, String> keys = new LinkedHashMap<>();
        int n = 1;
        for (AuthorityId id : List.of(TestFederation.IT, TestFederation.AL, TestFederation.US)) {
            keys.put(id, cosigner(id, n++).key().vkey());
        }
        return DirectoryDrafts.draft(f.pki, "Test federation", Map.of(TestFederation.IT, "https://127.0.0.1:7001", TestFederation.AL,
                "https://127.0.0.1:7002", TestFederation.US, "https://127.0.0.1:7003"), Map.of(), keys, 2, f.now,
                f.now.plus(Duration.ofDays(7)), List.of());
    }

    @Test
    void everyLogIsWitnessedByTheOthersWithAMajority() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        assertThat(f.directory.witnessing().of(TestFederation.IT)).isEmpty(); // an earlier edition: none, and it still reads
        assertThat(f.directory.witnessing().policy(TestFederation.IT).quorum()).isZero();
        FederationDirectory d = f.verifier.accept(f.directory, DirectorySigner.sign(withWitnesses(f), f.pki.directorySigning()), f.now);
        Witnessing w = d.witnessing();
        assertThat(w.of(TestFederation.IT).orElseThrow().witnesses()).containsExactlyInAnyOrder(TestFederation.AL, TestFederation.US);
        assertThat(w.of(TestFederation.IT).orElseThrow().quorum()).isEqualTo(2);
        assertThat(w.witnessedBy(TestFederation.AL)).containsExactlyInAnyOrder(TestFederation.IT, TestFederation.US);
        assertThat(w.keysOf(TestFederation.US)).containsExactly(cosigner(TestFederation.US, 3).key());
        assertThat(Witnessing.majority(1)).isEqualTo(1);
        assertThat(Witnessing.majority(2)).isEqualTo(2);
        assertThat(Witnessing.majority(3)).isEqualTo(2);
        assertThat(Witnessing.majority(4)).isEqualTo(3);
    }

    @Test
    void editsSetWitnessesAndKeysAndBadPoliciesAreRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        DirectoryEdits.addWitnessKey(d, TestFederation.AL, cosigner(TestFederation.AL, 2).key().vkey());
        DirectoryEdits.setWitnesses(d, TestFederation.IT, 1, List.of(TestFederation.AL));
        FederationDirectory v2 = f.verifier.accept(f.directory, DirectorySigner.sign(d, f.pki.directorySigning()), f.now);
        assertThat(v2.witnessing().policy(TestFederation.IT).witnesses()).hasSize(1);
        // a witness without a key could never cosign: refused when the directory is read
        Directory noKey = f.draft(3, f.now.plus(Duration.ofDays(7)));
        DirectoryEdits.setWitnesses(noKey, TestFederation.IT, 1, List.of(TestFederation.US));
        assertThat(refusal(() -> f.verifier.verify(DirectorySigner.sign(noKey, f.pki.directorySigning()), f.now)).getMessage())
                .contains("lists no witness key");
        Directory self = f.draft(3, f.now.plus(Duration.ofDays(7)));
        DirectoryEdits.addWitnessKey(self, TestFederation.IT, cosigner(TestFederation.IT, 1).key().vkey());
        DirectoryEdits.setWitnesses(self, TestFederation.IT, 1, List.of(TestFederation.IT));
        assertThat(refusal(() -> f.verifier.verify(DirectorySigner.sign(self, f.pki.directorySigning()), f.now)).getMessage())
                .contains("cannot witness its own log");
        Directory same = f.draft(3, f.now.plus(Duration.ofDays(7)));
        DirectoryEdits.addWitnessKey(same, TestFederation.IT, cosigner(TestFederation.IT, 1).key().vkey());
        DirectoryEdits.addWitnessKey(same, TestFederation.AL, cosigner(TestFederation.IT, 1).key().vkey());
        assertThat(refusal(() -> f.verifier.verify(DirectorySigner.sign(same, f.pki.directorySigning()), f.now)).getMessage())
                .contains("the same witness key");
        assertThat(refusal(() -> DirectoryEdits.setWitnesses(d, TestFederation.IT, 2, List.of(TestFederation.AL))).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(refusal(() -> DirectoryEdits.addWitnessKey(d, TestFederation.IT, "liaison/IT-DNA+00000000+AQ==")).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
        DirectoryEdits.setWitnesses(d, TestFederation.IT, 0, List.of());
        assertThat(d.getAuthority().get(0).getWitnesses()).isNull();
    }
}
