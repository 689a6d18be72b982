package mocktest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/mock"
)

// Server is a running fake. The embedded *mock.Server gives the whole Go API (state,
// sessions, faults, journal); the helpers below fail the test on error.
type Server struct {
	*mock.Server
	// URL is the base URL, without a trailing slash, e.g. http://127.0.0.1:41234.
	URL string
	// IDs are the seeded phone numbers' ids by provider ("sip", "pia", "twilio").
	IDs map[string][]string

	t  testing.TB
	ts *httptest.Server
}

// NewServer starts a fake with opts (the zero value serves the embedded document and
// numbers) and closes it with t.Cleanup. It turns the self-check on: every answer is
// validated against the document, and one that is off it without being asked for
// (an off_document fault, or the framework answers the real service sends too) fails
// the test.
func NewServer(t testing.TB, opts mock.Options) *Server {
	t.Helper()
	opts.SelfCheck = true
	userHook := opts.SelfCheckFailed
	opts.SelfCheckFailed = func(f mock.SelfCheckFailure) {
		t.Errorf("mocktest: the fake answered %s %s with %d off the document: %v", f.Method, f.Path, f.Status, f.Problems)
		if userHook != nil {
			userHook(f)
		}
	}
	srv, err := mock.New(opts)
	if err != nil {
		t.Fatalf("mocktest: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &Server{Server: srv, URL: ts.URL, IDs: srv.SeededIDs(), t: t, ts: ts}
}

// Client returns an HTTP client for the fake (connections are closed with it).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the fake now, waiting for requests in flight; Cleanup does it anyway.
func (s *Server) Close() { s.ts.Close() }

// Patch sends PATCH /v1/phone-numbers/{id} with a JSON body and returns the status and
// body of the answer.
func (s *Server) Patch(id, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPatch, s.URL+"/v1/phone-numbers/"+id, strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		s.t.Fatalf("mocktest: PATCH %s: %v", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("mocktest: reading the answer: %v", err)
	}
	return resp.StatusCode, string(b)
}

// AddFault adds a fault rule to the default session and returns it with its id.
func (s *Server) AddFault(rule mock.FaultRule) mock.FaultRule {
	s.t.Helper()
	added, err := s.Session("").AddFault(rule)
	if err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
	return added
}

// SetState puts the default session into a provider state and returns its variables.
func (s *Server) SetState(name string, params map[string]any) map[string]any {
	s.t.Helper()
	vars, err := s.Session("").SetState(name, params)
	if err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
	return vars
}

// Requests returns the default session's journal, oldest first.
func (s *Server) Requests() []mock.JournalEntry { return s.Session("").Requests() }

// Field returns one field of a phone number in the default session, failing the test
// when the number does not exist.
func (s *Server) Field(id, name string) any {
	s.t.Helper()
	pn, ok := s.PhoneNumber(id)
	if !ok {
		s.t.Fatalf("mocktest: no phone number %q", id)
	}
	return pn.Fields[name]
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
