package org.liaison.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each class of character that could drive a terminal or forge a line, shown visibly instead. */
class UntrustedTextTest {
    /** True when no character of {@code s} is one a terminal or a log reader could act on. */
    private static boolean inert(String s) {
        return s.chars().noneMatch(UntrustedText::isUnsafe);
    }

    @Test
    void c0ControlsAndDelAreEscaped() {
        String forged = "CN=x\u001b[2J\u001b[H\rAUDIT OK\n\u0007\u0000\t\u007f";
        String shown = UntrustedText.printable(forged);
        assertThat(shown).isEqualTo("CN=x\\x1b[2J\\x1b[H\\rAUDIT OK\\n\\x07\\x00\\t\\x7f");
        assertThat(inert(shown)).isTrue();
    }

    @Test
    void c1ControlsAreEscaped() {
        // U+009B is a CSI on terminals that honour C1 controls: ESC [ in one character.
        String shown = UntrustedText.printable("a\u009b2Jb\u0085c\u0080\u009f");
        assertThat(shown).isEqualTo("a\\x9b2Jb\\x85c\\x80\\x9f");
        assertThat(inert(shown)).isTrue();
    }

    @Test
    void bidiControlsAreEscaped() {
        String all = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c";
        assertThat(UntrustedText.printable("invoice \u202Efdp.exe")).isEqualTo("invoice \\u202Efdp.exe");
        assertThat(UntrustedText.printable(all)).isEqualTo(
                "\\u202A\\u202B\\u202C\\u202D\\u202E\\u2066\\u2067\\u2068\\u2069\\u200E\\u200F\\u061C");
        assertThat(inert(UntrustedText.printable(all))).isTrue();
    }

    @Test
    void lineAndParagraphSeparatorsAreEscaped() {
        assertThat(UntrustedText.printable("one\u2028AUDIT OK\u2029two")).isEqualTo("one\\u2028AUDIT OK\\u2029two");
    }

    @Test
    void safeTextIsUnchangedAndEscapingIsIdempotent() {
        String safe = "Ελληνικά, 中文, emoji \uD83D\uDE00, a\\x1b literal, \u00a0no-break, \u00e9";
        assertThat(UntrustedText.printable(safe)).isSameAs(safe);
        String once = UntrustedText.printable("x\u001by\u202ez\u009b\n");
        assertThat(UntrustedText.printable(once)).isEqualTo(once);
        assertThat(UntrustedText.printable(null)).isNull();
    }

    @Test
    void printableLinesKeepsOnlyTheLineFeed() {
        assertThat(UntrustedText.printableLines("origin\n5\r\u001b[2J\u2028x\n")).isEqualTo("origin\n5\\r\\x1b[2J\\u2028x\n");
    }
}
