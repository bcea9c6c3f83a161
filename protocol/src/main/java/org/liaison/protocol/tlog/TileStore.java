package org.liaison.protocol.tlog;

import java.io.IOException;

/** Where a {@link TiledTree} reads its full hash tiles (the right edge it keeps itself). */
public interface TileStore {
    /** The full tile at {@code level}, {@code index} ({@value TilePath#FULL_BYTES} bytes), or {@code null} when it is not stored. */
    byte[] read(int level, long index) throws IOException;

    /** A store that holds nothing: a tree that keeps only its right edge and the tiles not yet taken from it. */
    TileStore NONE = (level, index) -> null;
}
