package org.liaison.cli.evidence;

import static org.liaison.protocol.UntrustedText.printable;

import org.liaison.gateway.evidence.EvidenceContainer;

/** The verification report as one self-contained web page (no script, no external resource): for a judge. */
final class EvidenceHtml {
    private EvidenceHtml() {}

    static String render(EvidenceContainer.Report r, String fileName) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
                .append("<title>Evidence of message ").append(esc(String.valueOf(r.messageId()))).append("</title><style>")
                .append("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.4em;vertical-align:top;text-align:left}")
                .append(".ok{color:#155724}.bad{color:#a00;font-weight:bold}.verdict{font-size:1.3em;padding:.5em;border:2px solid}")
                .append("</style></head><body>\n");
        b.append("<h1>Evidence of message <code id=\"message\">").append(esc(String.valueOf(r.messageId()))).append("</code></h1>\n");
        b.append("<p class=\"verdict ").append(r.valid() ? "ok" : "bad").append("\" id=\"verdict\">")
                .append(r.valid() ? "VALID: every signature, proof and time-stamp in the container holds."
                        : "INVALID: " + r.problems().size() + " problem(s) found.").append("</p>\n");
        b.append("<p>Container <code>").append(esc(fileName)).append("</code>, sealed by ").append(esc(String.valueOf(r.exporter())))
                .append(" at ").append(esc(String.valueOf(r.sealed())));
        if (r.sealTimestamped() != null) {
            b.append(" (time-stamped ").append(esc(r.sealTimestamped().toString())).append(")");
        }
        b.append(". Directory edition #").append(r.directorySequence()).append(r.rootPinned() ? ", checked with the root given."
                : ", checked with the container's own operator certificate (not pinned).").append("</p>\n");
        b.append("<h2>Timeline</h2>\n<table id=\"timeline\"><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>What proves it</th></tr>\n");
        for (EvidenceContainer.Event e : r.timeline()) {
            b.append("<tr><td>").append(esc(e.time().toString())).append("</td><td>").append(esc(e.issuer())).append("</td><td>")
                    .append(esc(e.event())).append(e.etsi() == null ? "" : "<br><small>EN 319 522: " + esc(e.etsi()) + "</small>")
                    .append("</td><td><ul>");
            for (String p : e.proven()) {
                b.append("<li class=\"ok\">").append(esc(p)).append("</li>");
            }
            for (String p : e.problems()) {
                b.append("<li class=\"bad\">FAILED: ").append(esc(p)).append("</li>");
            }
            b.append("</ul></td></tr>\n");
        }
        b.append("</table>\n");
        if (r.deadline() != null) {
            b.append("<h2>Deadline</h2><p id=\"deadline\">").append(esc(r.deadline())).append("</p>\n");
        }
        if (!r.problems().isEmpty()) {
            b.append("<h2>Problems</h2><ul id=\"problems\">");
            for (String p : r.problems()) {
                b.append("<li class=\"bad\">").append(esc(p)).append("</li>");
            }
            b.append("</ul>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private static String esc(String s) {
        return printable(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }
}
