package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;

/**
 * {@code liaison audit report}: a self-contained HTML page from a real node's log, loaded in
 * headless Chromium (Debian's package; .ci/run installs it): the charts render, nothing is loaded
 * from anywhere, the verification result is shown, and a changed log is reported as such.
 */
class AuditHtmlReportTest {
    @TempDir
    Path dir;

    record Browser(int code, String out, String err) {}

    static Browser chromium(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--enable-logging=stderr", "--v=0"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new AssertionError("chromium is needed by this test (Debian: apt-get install chromium; .ci/run installs it)", e);
        }
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Browser(p.exitValue(), out, err.get());
    }

    @Test
    void theReportOfARealLogRendersInABrowserWithNothingLoadedFromOutside() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        List<UUID> ids = new ArrayList<>();
        try (GatewayNode it = t.startLogged(TestNodes.IT); GatewayNode al = t.startLogged(TestNodes.AL)) {
            for (int i = 0; i < 4; i++) {
                ids.add(it.outbox().submit(t.submission(TestNodes.IT, List.of(TestNodes.AL), null, null, TestNodes.text("e" + i))));
            }
            ids.add(al.outbox().submit(t.submission(TestNodes.AL, List.of(TestNodes.IT), null, null, TestNodes.text("back"))));
            TestNodes.await("deliveries", Duration.ofSeconds(30), () -> ids.stream().allMatch(id ->
                    (it.store().deliveries().of(id).isEmpty() ? al : it).store().deliveries().of(id).stream()
                            .allMatch(d -> d.state() == MessageStore.State.DELIVERED)));
        }
        Path audit = t.auditDir(TestNodes.IT);
        Path html = dir.resolve("report.html");
        BackupRestoreTest.Run r = BackupRestoreTest.cli("audit", "report", audit.toString(), "--out", html.toString(), "--period", "day");
        assertThat(r.code()).as(r.err()).isZero();
        String page = Files.readString(html);
        // Self-contained: no script, no reference to anything outside the page, and a policy that forbids loading any.
        assertThat(page).doesNotContain("<script").doesNotContainPattern("(?i)\\s(src|href)=")
                .contains("Content-Security-Policy").contains("default-src 'none'");
        assertThat(page).doesNotContain(ids.get(0).toString()).doesNotContain("OP-TEST-1"); // content-free

        Browser dom = chromium("--dump-dom", html.toUri().toString());
        assertThat(dom.code()).as(dom.err()).isZero();
        assertThat(dom.out()).contains("id=\"verification\"").contains("VALID: every entry re-hashed");
        assertThat(dom.out()).contains("id=\"chart-volume\"").contains("id=\"chart-delivery\"");
        Matcher bars = Pattern.compile("<rect class=\"bar\"[^>]*height=\"(\\d+)\"").matcher(dom.out());
        int drawn = 0;
        while (bars.find()) {
            drawn += Integer.parseInt(bars.group(1)) > 0 ? 1 : 0;
        }
        assertThat(drawn).as("bars drawn with a height").isGreaterThanOrEqualTo(2);
        assertThat(dom.err()).doesNotContain("Failed to load resource").doesNotContain("Refused to load");

        Path png = dir.resolve("report.png");
        Browser shot = chromium("--screenshot=" + png, "--window-size=1200,2400", html.toUri().toString());
        assertThat(shot.code()).as(shot.err()).isZero();
        assertThat(Files.size(png)).isGreaterThan(10_000);

        // A changed log: the report is written and says so, and the command fails.
        Path copy = Files.createDirectories(dir.resolve("changed"));
        for (String f : List.of(FileAuditLog.ENTRIES, FileAuditLog.CHECKPOINTS, FileAuditLog.VERIFIER_KEY)) {
            Files.copy(audit.resolve(f), copy.resolve(f));
        }
        byte[] entries = Files.readAllBytes(copy.resolve(FileAuditLog.ENTRIES));
        String text = new String(entries, StandardCharsets.ISO_8859_1).replaceFirst("\"type\":\"seal\"", "\"type\":\"sael\"");
        Files.write(copy.resolve(FileAuditLog.ENTRIES), text.getBytes(StandardCharsets.ISO_8859_1));
        BackupRestoreTest.Run bad = BackupRestoreTest.cli("audit", "report", copy.toString(), "--out", dir.resolve("bad.html").toString());
        assertThat(bad.code()).isEqualTo(Main.FAILED);
        assertThat(Files.readString(dir.resolve("bad.html"))).contains("INVALID");
    }
}
