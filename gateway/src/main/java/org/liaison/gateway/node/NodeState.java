package org.liaison.gateway.node;

import org.liaison.gateway.peer.PeerContext;

/** The node's shared state as the delivery side sees it (the same as the peer side's). */
public interface NodeState extends PeerContext {
}
