package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docs' commands run as written: every {@code ```sh} block of README.md and of docs/operators.md,
 * in order, as one bash script per document in a fresh folder ({@code set -euo pipefail}), with
 * {@code ./liaison} running this build. Lines that start {@code mvn } (the test command itself) are left
 * out. docs/performance.md's commands are benchmarks and are not run here.
 */
class DocsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern SH = Pattern.compile("(?m)^```sh\\n(.*?)^```", Pattern.DOTALL);

    @TempDir
    Path dir;

    @Test
    void readmeCommandsRunAsWritten() throws Exception {
        String log = run("README.md");
        assertThat(log).contains("delivered").contains("VALID");
        assertThat(dir.resolve("received/manifest.xml")).exists();
        assertThat(dir.resolve("al-report.html")).exists();
    }

    @Test
    void operatorsGuideCommandsRunAsWritten() throws Exception {
        String log = run("docs/operators.md");
        assertThat(log).contains("REJECTED for investigator: revoked").contains("exit code 1");
        assertThat(dir.resolve("it-backup")).isDirectory();
    }

    @Test
    void readmeLinksPointAtFilesThatExist() throws Exception {
        Matcher m = Pattern.compile("\\]\\(([^)#]+)\\)").matcher(Files.readString(ROOT.resolve("README.md")));
        List<String> links = new ArrayList<>();
        while (m.find()) {
            links.add(m.group(1));
        }
        assertThat(links).contains("docs/operators.md", "docs/formats.md", "docs/performance.md", "docs/security.md");
        for (String link : links) {
            assertThat(ROOT.resolve(link)).as(link).exists();
        }
    }

    private String run(String doc) throws Exception {
        StringBuilder script = new StringBuilder("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
        Matcher m = SH.matcher(Files.readString(ROOT.resolve(doc)));
        int blocks = 0;
        while (m.find()) {
            blocks++;
            script.append("# block ").append(blocks).append('\n');
            for (String line : m.group(1).split("\n")) {
                script.append(line.startsWith("mvn ") ? "# (not run here) " + line : line).append('\n');
            }
        }
        assertThat(blocks).as(doc + " has sh blocks").isPositive();
        Path shim = dir.resolve("liaison");
        Files.writeString(shim, "#!/usr/bin/env bash\nexec \"" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "\" -Xmx256m -cp \"$LIAISON_TEST_CP\" org.liaison.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = Files.writeString(dir.resolve("docs.sh"), script);
        Path out = dir.resolve("docs.log");
        ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("LIAISON_TEST_CP", System.getProperty("java.class.path"));
        Process p = pb.start();
        boolean ended = p.waitFor(10, TimeUnit.MINUTES);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String log = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(ended).as(doc + " did not finish:\n" + log).isTrue();
        assertThat(p.exitValue()).as(doc + "'s commands failed (script " + file + "):\n" + log).isZero();
        return log;
    }
}
