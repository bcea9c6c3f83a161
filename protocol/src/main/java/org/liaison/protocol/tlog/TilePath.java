package org.liaison.protocol.tlog;

/**
 * Paths of C2SP tlog-tiles resources: {@code tile/<L>/<N>[.p/<W>]} for hash tiles and
 * {@code tile/entries/<N>[.p/<W>]} for entry bundles. {@code <N>} is written in zero-padded
 * 3-digit path elements, all but the last prefixed with {@code x} (1234067 is
 * {@code x001/x234/067}); {@code .p/<W>} marks a partial tile of width 1 to 255.
 */
public final class TilePath {
    /** Hashes in a full tile (a subtree of height {@value #HEIGHT}). */
    public static final int WIDTH = 256;
    public static final int HEIGHT = 8;
    /** Bytes of a full tile. */
    public static final int FULL_BYTES = WIDTH * Merkle.HASH_SIZE;
    /** The highest level the spec allows. */
    public static final int MAX_LEVEL = 63;

    private TilePath() {}

    /** A tile or entry bundle: {@code level} -1 for an entry bundle; {@code width} 256 for a full one. */
    public record Tile(int level, long index, int width) {
        public Tile {
            if (level < -1 || level > MAX_LEVEL || index < 0 || width < 1 || width > WIDTH) {
                throw new IllegalArgumentException("tile: level " + level + ", index " + index + ", width " + width
                        + " (expected level 0-63, a non-negative index, width 1-256)");
            }
        }

        public boolean full() {
            return width == WIDTH;
        }

        public String path() {
            return "tile/" + (level < 0 ? "entries" : Integer.toString(level)) + "/" + encode(index) + (full() ? "" : ".p/" + width);
        }
    }

    /** The path of the hash tile at {@code level}, {@code index}, {@code width} hashes wide (256: full). */
    public static String tile(int level, long index, int width) {
        if (level < 0) {
            throw new IllegalArgumentException("tile level " + level + " (expected 0-63)");
        }
        return new Tile(level, index, width).path();
    }

    /** The path of the entry bundle {@code index}, {@code width} entries wide (256: full). */
    public static String entries(long index, int width) {
        return new Tile(-1, index, width).path();
    }

    /** {@code <N>} in 3-digit elements, all but the last prefixed with {@code x}. */
    static String encode(long n) {
        String last = String.format("%03d", n % 1000);
        StringBuilder b = new StringBuilder();
        for (long rest = n / 1000; rest > 0; rest /= 1000) {
            b.insert(0, String.format("x%03d/", rest % 1000));
        }
        return b.append(last).toString();
    }

    /** Parses a tile or entry bundle path exactly as the spec writes it; anything else is refused. */
    public static Tile parse(String path) {
        String[] p = path.split("/", -1);
        if (p.length < 3 || !p[0].equals("tile")) {
            throw bad(path);
        }
        int level;
        if (p[1].equals("entries")) {
            level = -1;
        } else if (p[1].matches("0|[1-9][0-9]?")) {
            level = Integer.parseInt(p[1]);
        } else {
            throw bad(path);
        }
        int end = p.length;
        int width = WIDTH;
        if (p.length >= 4 && p[p.length - 2].endsWith(".p")) {
            if (!p[p.length - 1].matches("[1-9][0-9]{0,2}")) {
                throw bad(path);
            }
            width = Integer.parseInt(p[p.length - 1]);
            if (width >= WIDTH) {
                throw bad(path);
            }
            p[p.length - 2] = p[p.length - 2].substring(0, p[p.length - 2].length() - 2);
            end = p.length - 1;
        }
        if (end - 2 > 7) {
            throw bad(path); // more elements than a long has digits
        }
        long index = 0;
        for (int i = 2; i < end; i++) {
            boolean last = i == end - 1;
            String e = p[i];
            if (!(last ? e.matches("[0-9]{3}") : e.matches("x[0-9]{3}"))) {
                throw bad(path);
            }
            index = Math.multiplyExact(index, 1000) + Integer.parseInt(last ? e : e.substring(1));
        }
        if (end - 2 > 1 && p[2].equals("x000")) {
            throw bad(path); // not the one encoding of the index
        }
        try {
            return new Tile(level, index, width);
        } catch (IllegalArgumentException e) {
            throw bad(path);
        }
    }

    private static IllegalArgumentException bad(String path) {
        return new IllegalArgumentException("not a tile path: " + path + " (expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])");
    }
}
