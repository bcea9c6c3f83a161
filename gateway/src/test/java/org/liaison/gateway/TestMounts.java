package org.liaison.gateway;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Small filesystems the disk-full tests mount (as root) and must leave unmounted. */
public final class TestMounts {
    private TestMounts() {}

    /** Mounts a tmpfs of {@code size} (e.g. "40m") at {@code at}; false when this machine does not let us (not root). */
    public static boolean mount(Path at, String size) throws Exception {
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString()).redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** Unmounts {@code at}, retrying while something still lets go of it, and detaching it lazily at last. */
    public static void unmount(Path at) throws Exception {
        for (int i = 0; i < 10; i++) {
            Process p = new ProcessBuilder("umount", at.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
            Thread.sleep(500);
        }
        Process lazy = new ProcessBuilder("umount", "-l", at.toString()).redirectErrorStream(true).start();
        lazy.getInputStream().readAllBytes();
        lazy.waitFor(20, TimeUnit.SECONDS);
    }
}
