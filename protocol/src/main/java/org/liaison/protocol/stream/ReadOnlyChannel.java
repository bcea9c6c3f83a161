package org.liaison.protocol.stream;

import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A seekable channel that is read only: writing and truncating are refused ({@link NonWritableChannelException}). */
public abstract class ReadOnlyChannel implements SeekableByteChannel {
    @Override
    public final int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public final SeekableByteChannel truncate(long to) {
        throw new NonWritableChannelException();
    }
}
