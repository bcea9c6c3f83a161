package org.liaison.gateway.net;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One request as a service sees it, with no Netty type: who sent it (as the front door's
 * {@link FrontDoor.Policy} named them), the method, the URI as sent, the path's parameters (the
 * {@code {name}} parts of the route's pattern), the query's parameters and the headers.
 *
 * @param <P> the principal: a person on the local API, an authority on the peer API
 */
public record Request<P>(P principal, String method, String uri, Map<String, String> params, Map<String, List<String>> query,
        UnaryOperator<String> headers, long contentLength) {
    /** A header's value, or null. */
    public String header(String name) {
        return headers.apply(name);
    }

    /** A parameter of the path (see {@link Routes}). */
    public String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the route has no parameter " + name);
        }
        return v;
    }
}
