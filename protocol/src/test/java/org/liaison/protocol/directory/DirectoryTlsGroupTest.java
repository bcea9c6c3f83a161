package org.liaison.protocol.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.junit.jupiter.api.Test;

/** The TLS groups an authority's entry announces (hybrid TLS, issue 30): added, refused when unknown or twice, withdrawn. */
class DirectoryTlsGroupTest {
    static final AuthorityId AL = AuthorityId.of("AL-PP");
    static final List<String> KNOWN = List.of("X25519MLKEM768");

    static Directory directory() {
        Directory d = new Directory();
        Authority a = new Authority();
        a.setId(AL.value());
        a.setCountry("AL");
        d.getAuthority().add(a);
        return d;
    }

    @Test
    void aKnownGroupIsAnnouncedOnceAndWithdrawn() throws Exception {
        Directory d = directory();
        DirectoryEdits.addTlsGroup(d, AL, "X25519MLKEM768", KNOWN);
        assertThat(d.getAuthority().get(0).getTlsGroup()).containsExactly("X25519MLKEM768");

        Throwable twice = catchThrowable(() -> DirectoryEdits.addTlsGroup(d, AL, "X25519MLKEM768", KNOWN));
        assertThat(twice).isInstanceOf(ProtocolException.class).hasMessageContaining("already announces");
        assertThat(d.getAuthority().get(0).getTlsGroup()).hasSize(1);

        DirectoryEdits.removeTlsGroup(d, AL, "X25519MLKEM768");
        assertThat(d.getAuthority().get(0).getTlsGroup()).isEmpty();
        assertThat(catchThrowable(() -> DirectoryEdits.removeTlsGroup(d, AL, "X25519MLKEM768")))
                .hasMessageContaining("announces no TLS group");
    }

    @Test
    void anUnknownGroupOrAuthorityIsRefusedAndChangesNothing() {
        Directory d = directory();
        Throwable unknown = catchThrowable(() -> DirectoryEdits.addTlsGroup(d, AL, "X25519Kyber768Draft00", KNOWN));
        assertThat(unknown).isInstanceOf(ProtocolException.class).hasMessageContaining("unknown TLS group")
                .hasMessageContaining("X25519MLKEM768");
        assertThat(((ProtocolException) unknown).code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        Throwable nobody = catchThrowable(() -> DirectoryEdits.addTlsGroup(d, AuthorityId.of("IT-DNA"), "X25519MLKEM768", KNOWN));
        assertThat(((ProtocolException) nobody).code()).isEqualTo(ErrorCode.UNKNOWN_AUTHORITY);
        assertThat(d.getAuthority().get(0).getTlsGroup()).isEmpty();
    }
}
