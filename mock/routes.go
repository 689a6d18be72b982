package mock

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/gorilla/mux"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/spec"
)

// handler answers one exchange.
type handler func(*exchange) answer

// route is what the router resolves a request to.
type route struct {
	serve   handler
	journal bool        // a request to the Verbex API (or an unrouted one): journaled
	session sessionMode // how the request's session is found
	admin   bool        // under /__admin: the Host check and JSON-only changes apply
}

// sessionMode says how a route finds its session. Only requests that change state
// create one, so that reads never evict a running test's session.
type sessionMode int

const (
	sessionNone  sessionMode = iota
	sessionAPI               // the header names it; a PATCH creates it, other methods use it if it exists
	sessionRead              // the header names it; used if it exists
	sessionAdmin             // ?session= or the header; GET needs it to exist, other methods create it
)

// routes builds the router and the table its route names resolve to. The router only
// matches (Starlette routes the path as sent: no cleaning, no 301s); dispatch calls the
// handler.
func (s *Server) routes() {
	s.router = mux.NewRouter()
	s.router.SkipClean(true)
	s.table = map[string]route{}
	s.handle(spec.Path, route{serve: s.servePhoneNumber, journal: true, session: sessionAPI})
	s.handle("/openapi.json", route{serve: methods(map[string]handler{http.MethodGet: s.serveOpenAPI})})
	s.adminRoutes()
	s.notFound = route{serve: s.serveNotFound, journal: true, session: sessionRead}
}

func (s *Server) handle(path string, rt route) {
	s.router.Path(path).Name(path)
	s.table[path] = rt
}

// dispatch resolves the route, reads the body and runs the handler; a panic becomes
// a 500 in the ErrorResponse shape.
func (s *Server) dispatch(x *exchange) (a answer) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		s.log.Error("panic serving request", "method", x.r.Method, "path", x.r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		a = errorAnswer(http.StatusInternalServerError, codeInternal, "An unexpected error occurred in verbex-mock; see its log.")
	}()
	rt := s.notFound
	if id, ok := spec.OperationID(x.r.URL.Path); ok {
		// The operation's path, the router's first route, matched without its regexp
		// and maps (TestOperationRouteAsRouter).
		rt, x.id = s.table[spec.Path], id
	} else if m := (mux.RouteMatch{}); s.router.Match(x.r, &m) && m.Route != nil {
		rt, x.vars = s.table[m.Route.GetName()], m.Vars
	}
	x.journaled = rt.journal
	if rt.admin {
		if a, ok := s.adminGuard(x); !ok {
			return a
		}
	}
	if rt.session != sessionNone {
		name := get(x.r.Header, SessionHeader)
		if rt.session == sessionAdmin {
			if q := x.r.URL.Query().Get("session"); q != "" {
				name = q
			}
		}
		create := rt.session == sessionAdmin && x.r.Method != http.MethodGet ||
			rt.session == sessionAPI && x.r.Method == http.MethodPatch
		ss, a, ok := s.findSession(name, create, x.start)
		if !ok {
			return a
		}
		if ss == nil && rt.session == sessionAdmin {
			return errorAnswer(http.StatusNotFound, codeNoSession, fmt.Sprintf("No session is named %s; a PATCH or an admin POST creates one.", quoteName(name)))
		}
		x.sess = ss
	}
	if err := x.readBody(s.opts.MaxBodyBytes, s.inflight, s.bodyWait); err != nil {
		return bodyErrorAnswer(err, s.opts.MaxBodyBytes)
	}
	return rt.serve(x)
}

// adminGuard keeps web pages away from the admin routes: a Host the server does not
// answer to (DNS rebinding) gets 403, and a change with a body sent as anything but
// JSON gets 415, for JSON a browser cannot send across origins without a CORS
// preflight the fake never grants. A change with no body and no content type is
// taken unless a browser sent it from another origin (403).
func (s *Server) adminGuard(x *exchange) (answer, bool) {
	if !protocol.AdminHostAllowed(s.opts.AdminHosts, x.r.Host) {
		refused := protocol.HostRefused(x.r.Host, "add it with --allowed-hosts")
		return errorAnswer(http.StatusForbidden, codeForbiddenHost, refused.Message), false
	}
	switch x.r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return answer{}, true
	}
	if x.r.ContentLength == 0 && x.r.Header.Get("Content-Type") == "" {
		// A change without a body (curl -X POST, a script, a server-side fetch) has
		// nothing to misread. A browser may send one from any page without a CORS
		// preflight, so one from another origin is refused; browsers say where a
		// request comes from (Origin, Sec-Fetch-Site), other clients send neither.
		if otherOrigin(x.r) {
			return errorAnswer(http.StatusForbidden, codeForbiddenOrigin, "Admin changes are not taken from another origin's page: send them from the fake's own page, or from a script or curl."), false
		}
		return answer{}, true
	}
	if mt, _, err := mime.ParseMediaType(x.r.Header.Get("Content-Type")); err != nil || mt != contentJSON {
		return errorAnswer(http.StatusUnsupportedMediaType, codeBadMediaType, "Admin changes take a JSON body: send Content-Type: application/json."), false
	}
	return answer{}, true
}

// otherOrigin reports whether a browser sent the request from a page of another
// origin: cross-site, or same-site but another origin (another port or host).
// Sec-Fetch-Site "none" is a request the user made (the address bar).
func otherOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u, err := url.Parse(origin)
	// "null" (a sandboxed page, a file) has no host: never the fake's.
	return err != nil || u.Host == "" || u.Scheme != scheme || !strings.EqualFold(u.Host, r.Host)
}

// quoteName quotes a client-chosen name for messages and logs, cut to a readable size.
func quoteName(name string) string { return protocol.QuoteName(name) }

// bodyErrorAnswer answers a body that could not be read: too large (413, and the
// connection is closed, for the rest of the body is not read), or broken off (400).
func bodyErrorAnswer(err error, limit int64) answer {
	if err == errTooLarge {
		a := errorAnswer(http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", limit))
		a.deliberate = true
		a.setHeader("Connection", "close")
		return a
	}
	if errors.Is(err, errBusy) { // the fake's own limit: an honest 503, not a parse error
		a := errorAnswer(http.StatusServiceUnavailable, codeBusy, "Large request bodies, their trees and answers in flight hold all of --inflight-bytes; try again shortly.")
		a.deliberate = true
		a.setHeader("Retry-After", "1")
		a.setHeader("Connection", "close") // the body is not read
		return a
	}
	a := detailAnswer(http.StatusBadRequest, "There was an error parsing the body")
	a.deliberate = true
	return a
}

// holdErrorAnswer answers a request that could not hold what its body or answer
// becomes: a tree over the fake's bound (413), no room in the in-flight budget in time
// (503), or a client that left while it waited (nothing is sent). ok is false for
// any other error.
func holdErrorAnswer(err error) (answer, bool) {
	var tree *treeTooLarge
	switch {
	case errors.As(err, &tree):
		a := errorAnswer(http.StatusRequestEntityTooLarge, codeTooLarge, tree.Error())
		a.deliberate = true
		return a, true
	case errors.Is(err, errLeft):
		return answer{gone: true}, true
	case errors.Is(err, errBusy):
		return bodyErrorAnswer(err, 0), true
	}
	return answer{}, false
}

// methods routes by method and answers 405 with Allow for the others.
func methods(byMethod map[string]handler) handler {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if byMethod[m] != nil {
			allow = append(allow, m)
		}
	}
	return func(x *exchange) answer {
		if fn := byMethod[x.r.Method]; fn != nil {
			return fn(x)
		}
		return methodNotAllowed(strings.Join(allow, ", "))
	}
}

func methodNotAllowed(allow string) answer {
	a := detailAnswer(http.StatusMethodNotAllowed, "Method Not Allowed")
	a.setHeader("Allow", allow)
	return a
}

func (s *Server) serveOpenAPI(*exchange) answer { return jsonAnswer(http.StatusOK, s.doc.JSON) }

// serveNotFound is Starlette's router when nothing matched: with redirect_slashes, a
// path that would match with its trailing slashes stripped (or one added) is a 307
// (see redirect.go), else a 404.
func (s *Server) serveNotFound(x *exchange) answer {
	if a, ok := s.slashRedirect(x); ok {
		return a
	}
	return detailAnswer(http.StatusNotFound, "Not Found")
}
