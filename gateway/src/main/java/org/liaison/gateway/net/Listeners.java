package org.liaison.gateway.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;

/** Binding the node's listening ports, with an error that names the port and its purpose. */
public final class Listeners {
    private Listeners() {}

    /**
     * Binds {@code b} to {@code host:port}; on failure runs {@code cleanup} (the caller's event loops)
     * and throws. A port in use becomes a BindException that says which port, for what, and where it
     * is configured.
     */
    public static Channel bind(ServerBootstrap b, String host, int port, String what, Runnable cleanup)
            throws IOException, InterruptedException {
        try {
            return b.bind(new InetSocketAddress(host, port)).sync().channel();
        } catch (Exception e) { // Netty rethrows a BindException undeclared
            cleanup.run();
            if (e instanceof BindException) {
                BindException named = new BindException("cannot listen on " + host + ":" + port + " for the " + what + " ("
                        + e.getMessage() + "): is another node or program using that port? See node.yaml");
                named.initCause(e);
                throw named;
            }
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            if (e instanceof InterruptedException) {
                throw (InterruptedException) e;
            }
            throw (RuntimeException) e;
        }
    }
}
