package org.liaison.gateway.net;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.liaison.certs.Role;
import org.liaison.gateway.net.BufferBudget.Lease;
import org.liaison.protocol.ProtocolException;

/**
 * A route table: method and path pattern → the roles it needs → a service. Patterns are paths whose
 * segments may be parameters, {@code /liaison/v1/local/inbox/{id}/acknowledge}: a parameter matches one
 * non-empty segment. A route takes a query string only when declared with {@link #query}. The first route
 * declared that matches wins. Services know no Netty type: they get a {@link Request} and give an
 * {@link Answer}; the {@link FrontDoor} runs them on a worker.
 *
 * @param <P> the principal requests come from
 */
public final class Routes<P> {
    /** Answers a request without a body (on a worker). */
    public interface Service<P> {
        Answer serve(Request<P> request) throws Exception;
    }

    /** Answers a request whose body is held whole (at most the route's limit, in the node's buffer budget), on a worker. */
    public interface Buffered<P> {
        Answer take(Request<P> request, byte[] body) throws Exception;
    }

    /** Opens the streamed body of a request (on the event loop, at its head: no blocking). */
    public interface Upload<P> {
        StreamedBody open(Request<P> request, Lease lease) throws ProtocolException;
    }

    public enum Body { NONE, BUFFERED, STREAMED }

    /**
     * One route. {@code limit}: the most body bytes it takes ({@link Body#NONE}: 0), refused as
     * {@code PAYLOAD_TOO_LARGE} when announced or sent; {@code what}: how refusals name the body.
     */
    public record Route<P>(String method, String pattern, List<Role> roles, boolean query, Body body, long limit, String what,
            Service<P> service, Buffered<P> buffered, Upload<P> upload) {
        Map<String, String> match(String path) {
            String[] want = pattern.split("/", -1);
            String[] got = path.split("/", -1);
            if (want.length != got.length) {
                return null;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < want.length; i++) {
                if (want[i].startsWith("{") && want[i].endsWith("}")) {
                    if (got[i].isEmpty()) {
                        return null;
                    }
                    params.put(want[i].substring(1, want[i].length() - 1), got[i]);
                } else if (!want[i].equals(got[i])) {
                    return null;
                }
            }
            return params;
        }
    }

    /** The outcome of looking a request up: a route with its parameters, or why none serves it. */
    public record Match<P>(Route<P> route, Map<String, String> params, Miss miss) {}

    /** Why no route serves a request: no route has its path, or none with its method. */
    public enum Miss { NO_PATH, WRONG_METHOD }

    private final List<Route<P>> routes = new ArrayList<>();

    public Routes<P> get(String pattern, Service<P> service, Role... roles) {
        return add(new Route<>("GET", pattern, List.of(roles), false, Body.NONE, 0, null, service, null, null));
    }

    public Routes<P> post(String pattern, Service<P> service, Role... roles) {
        return add(new Route<>("POST", pattern, List.of(roles), false, Body.NONE, 0, null, service, null, null));
    }

    /** A {@code POST} whose body, up to {@code limit} bytes, is held whole before {@code service} takes it. */
    public Routes<P> buffered(String pattern, long limit, String what, Buffered<P> service, Role... roles) {
        return add(new Route<>("POST", pattern, List.of(roles), false, Body.BUFFERED, limit, what, null, service, null));
    }

    /** A {@code POST} whose body, up to {@code limit} bytes, streams into what {@code upload} opens. */
    public Routes<P> streamed(String pattern, long limit, String what, Upload<P> upload, Role... roles) {
        return add(new Route<>("POST", pattern, List.of(roles), false, Body.STREAMED, limit, what, null, null, upload));
    }

    /** The last route added also takes a query string. */
    public Routes<P> query() {
        Route<P> r = routes.remove(routes.size() - 1);
        return add(new Route<>(r.method(), r.pattern(), r.roles(), true, r.body(), r.limit(), r.what(), r.service(), r.buffered(),
                r.upload()));
    }

    private Routes<P> add(Route<P> route) {
        routes.add(route);
        return this;
    }

    public List<Route<P>> routes() {
        return Collections.unmodifiableList(routes);
    }

    /** The route for {@code method} and {@code uri} (its path, and its query string if the route takes one). */
    public Match<P> match(String method, String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        boolean pathKnown = false;
        for (Route<P> r : routes) {
            if (q >= 0 && !r.query()) {
                continue;
            }
            Map<String, String> params = r.match(path);
            if (params == null) {
                continue;
            }
            if (r.method().equals(method)) {
                return new Match<>(r, params, null);
            }
            pathKnown = true;
        }
        return new Match<>(null, Map.of(), pathKnown ? Miss.WRONG_METHOD : Miss.NO_PATH);
    }

    /** The methods a path is served with (for an {@code Allow} header). */
    public List<String> methods(String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        return routes.stream().filter(r -> r.match(path) != null).map(Route::method).distinct().toList();
    }
}
