package org.liaison.gateway.audit;

import org.liaison.certs.AuthorityId;

/** The name an authority's audit log signs its checkpoints under: the origin line of its notes. */
public final class LogOrigin {
    private LogOrigin() {}

    /** {@code liaison/<authority>}. */
    public static String of(AuthorityId id) {
        return "liaison/" + id.value();
    }
}
