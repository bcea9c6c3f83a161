package org.liaison.protocol.tlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeSet;
import org.liaison.certs.SecureFiles;

/**
 * Full hash tiles as files under a folder, at their C2SP paths ({@code tile/0/x001/234}), so that the
 * folder can be served as it is. A tile is written once, complete (a temporary file, synced, renamed),
 * and never changed after.
 */
public final class TileFiles implements TileStore {
    private final Path root;

    /** Tiles under {@code root} (the folder holding {@code tile/}). */
    public TileFiles(Path root) {
        this.root = root;
    }

    public Path path(int level, long index) {
        return root.resolve(TilePath.tile(level, index, TilePath.WIDTH));
    }

    @Override
    public byte[] read(int level, long index) throws IOException {
        try {
            return Files.readAllBytes(path(level, index));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Writes the tiles durably: each synced and renamed into place, then the folders that gained one synced. */
    public void write(Map<TilePath.Tile, byte[]> tiles) throws IOException {
        TreeSet<Path> dirs = new TreeSet<>();
        for (Map.Entry<TilePath.Tile, byte[]> t : tiles.entrySet()) {
            Path target = path(t.getKey().level(), t.getKey().index());
            Path dir = target.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                for (Path d = dir; d != null && d.startsWith(root) && !d.equals(root); d = d.getParent()) {
                    dirs.add(d.getParent());
                }
            }
            Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(t.getValue());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(false);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            dirs.add(dir);
        }
        for (Path d : dirs.descendingSet()) {
            SecureFiles.fsyncDirectory(d);
        }
    }
}
