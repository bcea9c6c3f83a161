package org.liaison.certs;

import java.util.regex.Pattern;

/**
 * An authority's id: ISO 3166 alpha-2 country code, a hyphen, a short upper-case name
 * ({@code IT-DNA}, {@code AL-PP}, {@code US-OIA}, {@code SV-FGR}).
 */
public record AuthorityId(String value) {
    private static final Pattern FORM = Pattern.compile("[A-Z]{2}-[A-Z0-9]{1,16}");

    public AuthorityId {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("authority id: " + value
                    + " (expected: country code, hyphen, up to 16 upper-case letters or digits, e.g. IT-DNA)");
        }
    }

    public static AuthorityId of(String value) {
        return new AuthorityId(value);
    }

    /** The ISO 3166 alpha-2 country code. */
    public String country() {
        return value.substring(0, 2);
    }

    @Override
    public String toString() {
        return value;
    }
}
