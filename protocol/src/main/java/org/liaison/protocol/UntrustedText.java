package org.liaison.protocol;

/**
 * Text that came from outside — a certificate's subject, a request's path, a peer's note, an audit
 * entry's fields — made safe to show on a terminal or in one log line.
 *
 * <p>What is neutralised ({@link #isUnsafe}): the C0 controls (U+0000–U+001F, ESC among them), DEL and
 * the C1 controls (U+007F–U+009F; U+009B is a CSI on many terminals), the bidirectional controls
 * (Unicode's Bidi_Control: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and the line and
 * paragraph separators U+2028 and U+2029. Each is replaced by a visible escape: {@code \n}, {@code \r} and
 * {@code \t} for those three, {@code \xHH} below U+0100 (ESC is {@code \x1b}), <code>&#92;uHHHH</code> above
 * (U+202E is <code>&#92;u202E</code>). Nothing else changes.
 *
 * <p>Guarantees: the result holds no unsafe character, so it can neither move the cursor, clear a screen,
 * reorder what follows it nor start a new line; it is idempotent (a result passed again comes back
 * unchanged), and safe text is returned as it is. Backslashes are not escaped: a literal {@code \x1b} in the
 * input looks like an escaped ESC — harmless on a screen, which is all this is for. Never use it on what is
 * hashed, signed or stored: the audit log keeps the exact bytes, and JSON output escapes the same
 * characters the JSON way (<code>&#92;u001b</code>), which keeps the data exact.
 */
public final class UntrustedText {
    private UntrustedText() {}

    /** Whether {@code c} is a control, a bidirectional control or a line/paragraph separator. */
    public static boolean isUnsafe(int c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f
                || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
    }

    /** {@code s} with every unsafe character escaped visibly, on one line; null stays null. */
    public static String printable(CharSequence s) {
        return s == null ? null : escape(s, false);
    }

    /**
     * {@code s} with every unsafe character escaped visibly except the line feed: for text of several
     * lines that the caller prints as such (a checkpoint's text), where each line is shown on its own.
     */
    public static String printableLines(CharSequence s) {
        return s == null ? null : escape(s, true);
    }

    private static String escape(CharSequence s, boolean keepLines) {
        int first = firstUnsafe(s, keepLines);
        if (first < 0) {
            return s.toString();
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isUnsafe(c) || (keepLines && c == '\n')) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x100) {
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                b.append(String.format("\\u%04X", (int) c));
            }
        }
        return b.toString();
    }

    private static int firstUnsafe(CharSequence s, boolean keepLines) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isUnsafe(c) && !(keepLines && c == '\n')) {
                return i;
            }
        }
        return -1;
    }
}
