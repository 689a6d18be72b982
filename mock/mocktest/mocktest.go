package mocktest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/verbex/verbex-mock/mock"
)

// Server is a running fake. The embedded *mock.Server gives the whole Go API (state,
// sessions, faults, journal). Its helpers (Patch, TryPatch, AddFault, SetState,
// Field, PhoneNumber, ID, Requests, Reset) have the same signatures as a Handle's,
// work on the default session and report to the test given to NewServer; in a
// subtest, take a handle with For(t) instead, so that a mistake fails that subtest
// and nothing else. Where a helper shadows a method of mock.Server (PhoneNumber,
// Reset), the embedded one is still there as fake.Server.PhoneNumber.
type Server struct {
	*mock.Server
	// URL is the base URL, without a trailing slash, e.g. http://127.0.0.1:41234.
	URL string
	// IDs are the seeded phone numbers' ids by provider ("sip", "pia", "twilio").
	// Every session, and so every handle, starts with these numbers.
	IDs map[string][]string

	ts       *httptest.Server
	def      *Handle // the default session, bound to NewServer's t
	settings settings
	seq      atomic.Int64
	handles  sync.Map // session name → *Handle, to route self-check failures
}

// Option changes how NewServer runs the fake.
type Option func(*settings)

type settings struct {
	selfCheck    bool
	journalLines int
}

// SelfCheck turns the self-check on (the default) or off. On, every answer is
// validated against the document and one that is off it without being asked for
// fails the test that made the request. The document is compiled once per process
// and shared, so NewServer plus its first PATCH costs 1.3–2.0 ms with the
// self-check on (BenchmarkNewServerFirstPatch); a suite that measures its own speed
// can turn it off.
func SelfCheck(on bool) Option { return func(s *settings) { s.selfCheck = on } }

// JournalOnFailure sets how many of a test's last requests are logged when it fails
// (default 20); 0 logs none.
func JournalOnFailure(n int) Option { return func(s *settings) { s.journalLines = max(n, 0) } }

// NewServer starts a fake with opts (the zero value serves the embedded document and
// numbers) and closes it with t.Cleanup. Unless SelfCheck(false) is given it turns
// the self-check on: an answer that is off the document without being asked for (an
// off_document fault, or the framework answers the real service sends too) fails
// the test whose request it answered.
func NewServer(t testing.TB, opts mock.Options, options ...Option) *Server {
	t.Helper()
	st := settings{selfCheck: true, journalLines: 20}
	for _, o := range options {
		o(&st)
	}
	s := &Server{settings: st}
	opts.SelfCheck = st.selfCheck
	if st.selfCheck {
		userHook := opts.SelfCheckFailed
		opts.SelfCheckFailed = func(f mock.SelfCheckFailure) {
			s.testOf(f.Session).Errorf("mocktest: the fake answered %s %s with %d off the document: %v", f.Method, f.Path, f.Status, f.Problems)
			if userHook != nil {
				userHook(f)
			}
		}
	}
	srv, err := mock.New(opts)
	if err != nil {
		t.Fatalf("mocktest: %v", err)
	}
	s.Server = srv
	s.ts = httptest.NewUnstartedServer(srv)
	s.ts.Listener = mock.Listener(s.ts.Listener) // request lines as uvicorn reads them
	s.ts.Config.ConnContext = mock.ConnContext   // waiting requests see their client leave
	s.ts.Start()
	t.Cleanup(s.ts.Close)
	s.URL, s.IDs = s.ts.URL, srv.SeededIDs()
	s.def = s.newHandle(t, "", s.ts.Client())
	return s
}

// testOf is the test a session's self-check failures go to: its handle's test while
// that test runs, otherwise the test that made the server.
func (s *Server) testOf(session string) testing.TB {
	if h, ok := s.handles.Load(session); ok {
		return h.(*Handle).t
	}
	return s.def.t
}

// Client returns an HTTP client for the fake's default session (connections are
// closed with the server). For a test's own session, use For(t).Client().
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the fake now, waiting for requests in flight; Cleanup does it anyway.
func (s *Server) Close() { s.ts.Close() }

// Patch sends PATCH /v1/phone-numbers/{id} with a JSON body to the default session
// and returns the status and body of the answer; a broken connection fails the test.
func (s *Server) Patch(id, body string) (int, string) {
	s.def.t.Helper()
	return s.def.Patch(id, body)
}

// TryPatch is Patch that returns a broken connection as an error instead of failing
// the test (see Handle.TryPatch).
func (s *Server) TryPatch(id, body string) (int, string, error) { return s.def.TryPatch(id, body) }

// AddFault adds a fault rule to the default session and returns it with its id.
func (s *Server) AddFault(rule mock.FaultRule) mock.FaultRule {
	s.def.t.Helper()
	return s.def.AddFault(rule)
}

// SetState puts the default session into a provider state and returns what it made.
func (s *Server) SetState(name string, params map[string]any) State {
	s.def.t.Helper()
	return s.def.SetState(name, params)
}

// Requests returns the default session's journal, oldest first.
func (s *Server) Requests() []mock.JournalEntry { return s.def.Requests() }

// Reset restores the default session (fixtures, start faults, an empty journal).
// Handles' sessions are left alone; fake.Server.Reset() also drops them.
func (s *Server) Reset() { s.def.Reset() }

// PhoneNumber returns a copy of a phone number in the default session; a number
// that does not exist fails the test. (fake.Server.PhoneNumber reports it instead.)
func (s *Server) PhoneNumber(id string) mock.PhoneNumber {
	s.def.t.Helper()
	return s.def.PhoneNumber(id)
}

// ID returns the first seeded id of a provider, failing the test for a provider
// without seeded numbers (see Handle.ID).
func (s *Server) ID(provider string) string {
	s.def.t.Helper()
	return s.def.ID(provider)
}

// Field returns one field of a phone number in the default session (a string, or
// nil for null). A number that does not exist, or a field its provider's schema does
// not declare, fails the test.
func (s *Server) Field(id, name string) any {
	s.def.t.Helper()
	return s.def.Field(id, name)
}

// Unresponsive returns the URL of a server that accepts connections and never
// answers, closed with t.Cleanup: for testing a client's timeouts, or a contract run
// against a target that hangs.
func Unresponsive(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mocktest: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return "http://" + ln.Addr().String()
}
