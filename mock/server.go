package mock

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"

	"github.com/gorilla/mux"

	"github.com/verbex/verbex-mock/mock/spec"
)

// Server is the fake Verbex phone-number API: an http.Handler with its own state.
// Servers share nothing, so any number can run in one process.
type Server struct {
	doc         *spec.Document
	opts        Options
	log         *slog.Logger
	seed        []*record // immutable; every session starts from clones
	startFaults []checkedFault
	states      []state // provider states, derived from the document
	router      *mux.Router
	def         *session
	bufs        sync.Pool // *bytes.Buffer for request bodies
	outs        sync.Pool // *[]byte for rendered response bodies

	mu       sync.Mutex // guards sessions
	sessions map[string]*session
}

type checkedFault struct {
	rule FaultRule
	body []byte
}

var _ http.Handler = (*Server)(nil)

// New loads the document, the fixtures and the start faults and returns a Server.
// A document or fixtures file that cannot be served is an error that says what and
// where (spec.ErrInvalid, *FixtureError, ErrFaultRule).
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	doc, err := spec.Load(opts.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.SpecName, err)
	}
	s := &Server{doc: doc, opts: opts, log: opts.Logger, sessions: map[string]*session{}}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.outs.New = func() any { b := make([]byte, 0, 1024); return &b }
	if s.seed, err = parseFixtures(doc, opts.FixturesName, opts.Fixtures); err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(s.seed))
	for _, r := range s.seed {
		taken[r.id()] = true
	}
	more, err := generate(doc, opts.Generate, opts.Seed, taken)
	if err != nil {
		return nil, err
	}
	s.seed = append(s.seed, more...)
	for i, rule := range opts.Faults {
		body, err := s.checkFault(rule)
		if err != nil {
			return nil, fmt.Errorf("fault %d: %w", i+1, err)
		}
		s.startFaults = append(s.startFaults, checkedFault{rule, body})
	}
	s.states = s.buildStates()
	s.router = s.routes()
	s.def = s.newSession("")
	return s, nil
}

// Document returns the loaded, compiled OpenAPI document.
func (s *Server) Document() *spec.Document { return s.doc }

// SeededIDs returns the ids of the seeded phone numbers by provider, in seed order.
func (s *Server) SeededIDs() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.seed {
		out[r.provider.Name] = append(out[r.provider.Name], r.id())
	}
	return out
}

// Reset restores the fixtures and start faults, clears the journal of the default
// session and drops every named session.
func (s *Server) Reset() {
	s.resetSession(s.def)
	s.mu.Lock()
	clear(s.sessions)
	s.mu.Unlock()
}

// Session returns the named session's handle, creating the session from the fixtures
// on first use. The name "" is the default session, used by requests without
// the X-Verbex-Mock-Session header.
func (s *Server) Session(name string) *Session { return &Session{s: s, ss: s.session(name)} }

// SessionNames lists the named sessions that exist now.
func (s *Server) SessionNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.sessions))
	for n := range maps.Keys(s.sessions) {
		names = append(names, n)
	}
	return names
}

// PhoneNumbers returns the default session's phone numbers in order.
func (s *Server) PhoneNumbers() []PhoneNumber { return s.Session("").PhoneNumbers() }

// PhoneNumber returns one phone number of the default session.
func (s *Server) PhoneNumber(id string) (PhoneNumber, bool) { return s.Session("").PhoneNumber(id) }

// ServeHTTP answers one request: router, then body decoding and validation, then the
// store, then the response, all written by the exchange.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(w, r)
	defer x.finish()
	s.router.ServeHTTP(x, r)
}

func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true) // Starlette routes the path as sent: no cleaning, no 301s
	r.Handle(spec.Path, s.handle(s.servePhoneNumber))
	r.Handle("/openapi.json", s.methods(map[string]func(*exchange){http.MethodGet: s.serveOpenAPI}))
	s.adminRoutes(r)
	r.NotFoundHandler = s.handle(s.serveNotFound)
	return r
}

// handle adapts an exchange handler to the router, which passes the exchange back as
// the ResponseWriter.
func (s *Server) handle(fn func(*exchange)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := w.(*exchange)
		x.r = r
		fn(x)
	})
}

// methods routes by method and answers 405 with Allow for the others.
func (s *Server) methods(byMethod map[string]func(*exchange)) http.Handler {
	allow := ""
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if byMethod[m] != nil {
			if allow != "" {
				allow += ", "
			}
			allow += m
		}
	}
	return s.handle(func(x *exchange) {
		if fn := byMethod[x.r.Method]; fn != nil {
			fn(x)
			return
		}
		x.Header().Set("Allow", allow)
		x.sendDetail(http.StatusMethodNotAllowed, "Method Not Allowed")
	})
}

func (s *Server) serveOpenAPI(x *exchange) { x.send(http.StatusOK, contentJSON, s.doc.JSON) }

// serveNotFound is Starlette's router when nothing matched: with redirect_slashes, a
// path that would match with its trailing slash toggled is redirected (307), else 404.
func (s *Server) serveNotFound(x *exchange) {
	x.journaled = true
	x.sess = s.session(x.r.Header.Get(SessionHeader))
	if !x.readBody() { // for the journal: it lists what arrived
		return
	}
	p := x.r.URL.Path
	if p != "/" {
		alt := *x.r
		u := *x.r.URL
		if p[len(p)-1] == '/' {
			u.Path = p[:len(p)-1]
		} else {
			u.Path = p + "/"
		}
		u.RawPath = ""
		alt.URL = &u
		var m mux.RouteMatch
		if s.router.Match(&alt, &m) && m.MatchErr == nil {
			scheme := "http"
			if x.r.TLS != nil {
				scheme = "https"
			}
			target := scheme + "://" + x.r.Host + u.EscapedPath()
			if x.r.URL.RawQuery != "" {
				target += "?" + x.r.URL.RawQuery
			}
			x.Header().Set("Location", target)
			x.send(http.StatusTemporaryRedirect, "", nil)
			return
		}
	}
	x.sendDetail(http.StatusNotFound, "Not Found")
}
