package org.liaison.gateway.log;

import java.util.List;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.LogEventPatternConverter;
import org.apache.logging.log4j.core.pattern.PatternConverter;
import org.apache.logging.log4j.core.pattern.PatternFormatter;
import org.liaison.protocol.UntrustedText;

/**
 * {@code %printable{pattern}}: what {@code pattern} renders, with every control, bidirectional control and
 * line separator escaped visibly ({@link UntrustedText#printable}), so that text from outside in a message or
 * an exception — a certificate's subject, a request's path — can neither start a forged line nor drive the
 * terminal of whoever reads the log. It replaces Log4j's {@code %enc{...}{CRLF}}, which escapes CR and LF only.
 */
@Plugin(name = "printable", category = PatternConverter.CATEGORY)
@ConverterKeys({"printable"})
public final class PrintableConverter extends LogEventPatternConverter {
    private final List<PatternFormatter> formatters;

    private PrintableConverter(List<PatternFormatter> formatters) {
        super("printable", "printable");
        this.formatters = formatters;
    }

    /** Called by Log4j with the converter's options: the nested pattern. */
    public static PrintableConverter newInstance(Configuration config, String[] options) {
        if (options == null || options.length != 1 || options[0] == null) {
            throw new IllegalArgumentException("%printable: " + (options == null ? 0 : options.length)
                    + " options (expected: one, the pattern, as in %printable{%m})");
        }
        return new PrintableConverter(PatternLayout.createPatternParser(config).parse(options[0]));
    }

    @Override
    public void format(LogEvent event, StringBuilder toAppendTo) {
        int start = toAppendTo.length();
        for (PatternFormatter f : formatters) {
            f.format(event, toAppendTo);
        }
        String rendered = toAppendTo.substring(start);
        String shown = UntrustedText.printable(rendered);
        if (!shown.equals(rendered)) {
            toAppendTo.setLength(start);
            toAppendTo.append(shown);
        }
    }

    @Override
    public boolean handlesThrowable() {
        return formatters.stream().anyMatch(PatternFormatter::handlesThrowable);
    }
}
