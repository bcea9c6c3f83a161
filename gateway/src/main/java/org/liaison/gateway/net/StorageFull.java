package org.liaison.gateway.net;

/** Tells a failure for lack of space (ENOSPC, SQLite's SQLITE_FULL) from other I/O failures. */
public final class StorageFull {
    private StorageFull() {}

    /** Whether {@code t} or one of its causes says the disk is full. */
    public static boolean causedBy(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("database or disk is full")
                    || m.contains("SQLITE_FULL") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
