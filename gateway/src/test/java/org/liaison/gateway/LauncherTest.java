package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The `liaison` launcher script at the repository root, run on a copy of it whose "build" is a jar holding only
 * {@link Probe} (which prints the JVM's options and heap): what `./liaison serve` gives the node's JVM.
 */
class LauncherTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    /** Prints what the launcher gave this JVM; the launcher runs it as the node. */
    static final class Probe {
        public static void main(String[] args) {
            System.out.println("args=" + ManagementFactory.getRuntimeMXBean().getInputArguments());
            System.out.println("maxHeap=" + Runtime.getRuntime().maxMemory());
        }
    }

    @BeforeEach
    void fakeBuild() throws IOException {
        Files.copy(ROOT.resolve("liaison"), dir.resolve("liaison"));
        for (String d : List.of("certs", "protocol", "gateway/target")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("pom.xml"), "<project/>");
        Files.setLastModifiedTime(dir.resolve("pom.xml"), FileTime.from(Instant.now().minusSeconds(3600)));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Probe.class.getName());
        String entry = Probe.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("gateway/target/liaison.jar")), manifest);
                InputStream in = Probe.class.getResourceAsStream("/" + entry)) {
            jar.putNextEntry(new JarEntry(entry));
            in.transferTo(jar);
            jar.closeEntry();
        }
    }

    private String run(String javaOpts, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("liaison").toString()).redirectErrorStream(true);
        pb.command().addAll(List.of(args));
        Map<String, String> env = pb.environment();
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("JDK_JAVA_OPTIONS");
        if (javaOpts != null) {
            env.put("LIAISON_JAVA_OPTS", javaOpts);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static long maxHeap(String out) {
        return Long.parseLong(out.lines().filter(l -> l.startsWith("maxHeap=")).findFirst().orElseThrow().substring(8));
    }

    @Test
    void serveGetsABoundedHeapThatKeepsTheClassArchive() throws Exception {
        String first = run(null, "serve", "--config", "node.yaml");
        assertThat(first).contains("-Xmx512m", "-XX:+ExitOnOutOfMemoryError");
        assertThat(maxHeap(first)).isLessThanOrEqualTo(512 * MIB);
        // The first serve after the build made the class-data archive at its exit; the next one checks it (with the
        // same options) and loads its classes from it.
        Path classes = dir.resolve("classes.log");
        String second = run("-Xlog:class+load=info:file=" + classes, "serve");
        assertThat(second).contains("-Xmx512m", "-XX:SharedArchiveFile=");
        assertThat(Files.readString(classes)).containsPattern("LauncherTest\\$Probe source: shared objects file \\(top\\)");
    }

    @Test
    void aHeapSettingOfTheUsersWins() throws Exception {
        String xmx = run("-Xmx200m", "serve");
        assertThat(xmx).doesNotContain("-Xmx512m").contains("-Xmx200m", "-XX:+ExitOnOutOfMemoryError");
        assertThat(maxHeap(xmx)).isGreaterThan(150 * MIB).isLessThanOrEqualTo(200 * MIB);
        // A share of the RAM: an -Xmx of the launcher's would have overridden it whatever the order.
        assertThat(run("-XX:MaxRAMPercentage=10", "serve")).doesNotContain("-Xmx512m").contains("-XX:MaxRAMPercentage=10");
        assertThat(run("-XX:MaxHeapSize=300m", "serve")).doesNotContain("-Xmx512m");
        assertThat(run("-Xms64m", "serve")).doesNotContain("-Xmx512m");
    }

    @Test
    void otherCommandsDoNotGetTheNodesHeap() throws Exception {
        assertThat(run(null, "status")).doesNotContain("-Xmx512m").contains("-XX:TieredStopAtLevel=1");
        assertThat(run(null, "fetch")).doesNotContain("-Xmx512m").contains("-Xmx128m");
    }
}
