package org.liaison.gateway.log;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import org.liaison.protocol.UntrustedText;

/**
 * Jackson escapes for JSON that people may read on a terminal (the JSON log layout, {@code --json} output):
 * besides what JSON must escape, DEL, the C1 controls, the bidirectional controls and U+2028/U+2029
 * ({@link UntrustedText#isUnsafe}) are written as <code>&#92;uXXXX</code>. The JSON way keeps the data exact — a
 * parser reads back the same string — while no raw control reaches the screen.
 */
public final class JsonEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    public static final JsonEscapes INSTANCE = new JsonEscapes();

    private final int[] ascii;

    private JsonEscapes() {
        ascii = standardAsciiEscapesForJSON();
        ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        return UntrustedText.isUnsafe(ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
}
