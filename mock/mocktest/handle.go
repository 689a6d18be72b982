package mocktest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/protocol"
)

// Handle is one test's view of a shared fake: a session of its own (state, faults
// and journal started from the fixtures) and helpers that fail that test, and only
// that test, on error. When the test fails, the handle logs the session's last
// requests with their secrets redacted.
//
//	fake := mocktest.NewServer(t, mock.Options{}) // once, in the parent test
//	t.Run("clears the agent", func(t *testing.T) {
//		t.Parallel()
//		h := fake.For(t)
//		client := myverbex.NewClient(h.URL, h.Client()) // requests carry the session
//		…
//	})
type Handle struct {
	// URL is the fake's base URL, the same for every handle: the session travels in a
	// header that Client adds.
	URL string
	// IDs are the seeded phone numbers' ids by provider, as in Server.IDs.
	IDs map[string][]string
	// SessionName is the session's name: the test's name and a number, such as
	// "TestRepoint/sip#3". Requests from other tools join it with the
	// X-Verbex-Mock-Session header (protocol.SessionHeader).
	SessionName string

	t      testing.TB
	srv    *Server
	client *http.Client
	goid   uint64 // the goroutine that made the handle, normally its test's
}

// For returns a handle for t in a new session of its own: t's name and a number
// ("TestX/sub#2"). Its helpers fail t alone, so it is safe in parallel subtests of
// one shared server. When t fails, the handle logs the session's last requests.
func (s *Server) For(t testing.TB) *Handle {
	t.Helper()
	name := sessionName(t.Name(), s.seq.Add(1))
	base := s.ts.Client()
	client := &http.Client{
		Transport:     sessionTransport{base: base.Transport, session: name},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
	h := s.newHandle(t, name, client)
	s.handles.Store(name, h)
	t.Cleanup(func() { s.handles.CompareAndDelete(name, h) })
	return h
}

func (s *Server) newHandle(t testing.TB, session string, client *http.Client) *Handle {
	t.Helper() // the journal's log line then points at the test's For (or NewServer) call
	h := &Handle{URL: s.URL, IDs: s.IDs, SessionName: session, t: t, srv: s, client: client, goid: goid()}
	if n := s.settings.journalLines; n > 0 {
		t.Cleanup(func() {
			t.Helper()
			if t.Failed() {
				h.logJournal(n)
			}
		})
	}
	return h
}

// sessionName makes a header-safe session name from a test name: visible ASCII is
// kept, anything else becomes "_".
func sessionName(test string, n int64) string {
	b := []byte(test)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f {
			b[i] = '_'
		}
	}
	return string(b) + "#" + strconv.FormatInt(n, 10)
}

// sessionTransport adds the session header to every request that has none.
type sessionTransport struct {
	base    http.RoundTripper
	session string
}

func (st sessionTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get(protocol.SessionHeader) == "" {
		r = r.Clone(r.Context()) // a RoundTripper must not change the caller's request
		r.Header.Set(protocol.SessionHeader, st.session)
	}
	return st.base.RoundTrip(r)
}

// Client returns an HTTP client whose requests join the handle's session (it sets
// X-Verbex-Mock-Session on requests that do not set it themselves).
func (h *Handle) Client() *http.Client { return h.client }

// Session returns the handle's session in the fake's Go API, whose methods return
// errors instead of failing the test.
func (h *Handle) Session() *mock.Session { return h.srv.Session(h.SessionName) }

// Patch sends PATCH /v1/phone-numbers/{id} with a JSON body in the handle's session
// and returns the status and body of the answer. A broken connection (a connection
// fault such as reset) fails the test; TryPatch lets the test see it instead.
func (h *Handle) Patch(id, body string) (int, string) {
	h.t.Helper()
	status, answer, err := h.TryPatch(id, body)
	if err != nil {
		h.fatalf("mocktest: %v (to see a connection fault as an error, use TryPatch)", err)
		return 0, ""
	}
	return status, answer
}

// TryPatch is Patch for a test that expects a connection fault: it never fails the
// test, and when the connection breaks before a whole answer arrives it returns the
// status seen so far (0 when none) and the error.
func (h *Handle) TryPatch(id, body string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPatch, h.URL+"/v1/phone-numbers/"+id, strings.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("PATCH %s: %w", id, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("PATCH %s: %w", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, string(b), fmt.Errorf("PATCH %s: reading the answer: %w", id, err)
	}
	return resp.StatusCode, string(b), nil
}

// Reset restores the handle's session: the fixtures and start faults, an empty
// journal.
func (h *Handle) Reset() { h.Session().Reset() }

// ID returns the first seeded phone number id of a provider ("sip", "pia",
// "twilio"); IDs has them all. A provider without seeded numbers fails the test
// naming the providers that have some.
func (h *Handle) ID(provider string) string {
	h.t.Helper()
	if ids := h.IDs[provider]; len(ids) > 0 {
		return ids[0]
	}
	names := slices.Sorted(maps.Keys(h.IDs))
	h.fatalf("mocktest: ID(%q): no seeded phone number has provider %q%s (the providers: %s)",
		provider, provider, didYouMean(provider, names, `"%s"`), strings.Join(quoteAll(names), ", "))
	return ""
}

// AddFault adds a fault rule to the handle's session and returns it with its id. A
// rule the fake refuses fails the test with the reason; a status the document does
// not list (429, 502, 503, …) needs OffDocument: true, and the message says so.
func (h *Handle) AddFault(rule mock.FaultRule) mock.FaultRule {
	h.t.Helper()
	if doc := h.srv.Document(); rule.Status != 0 && !rule.OffDocument && !doc.Documents(rule.Status) {
		h.fatalf("mocktest: AddFault: status %d is not one the document lists (%s), so the answer is off the document on purpose: "+
			"set OffDocument: true, and give the body the client should get in Body (JSON, such as json.RawMessage(`{\"error\":\"unavailable\"}`)) "+
			"or RawBody (any bytes); with neither the body is empty",
			rule.Status, doc.StatusList())
		return mock.FaultRule{}
	}
	added, err := h.Session().AddFault(rule)
	if err != nil {
		h.fatalf("mocktest: AddFault: %v", err)
		return mock.FaultRule{}
	}
	return added
}

// State is what SetState did, typed: the variables the provider states return.
// A field a state does not return is empty; Vars has every variable as returned.
type State struct {
	// PhoneNumberID is the number the state made, stored or freed.
	PhoneNumberID string
	// PhoneNumber and Provider describe the number made or stored.
	PhoneNumber string
	Provider    string
	// FaultID and Status are the rule "the next update fails" added and its status.
	FaultID string
	Status  int
	// Vars are the variables exactly as the state returned them.
	Vars map[string]any
}

func newState(vars map[string]any) State {
	st := State{Vars: vars}
	st.PhoneNumberID, _ = vars["phone_number_id"].(string)
	st.PhoneNumber, _ = vars["phone_number"].(string)
	st.Provider, _ = vars["provider"].(string)
	st.FaultID, _ = vars["fault_id"].(string)
	switch n := vars["status"].(type) {
	case int:
		st.Status = n
	case float64:
		st.Status = int(n)
	}
	return st
}

// SetState puts the handle's session into a provider state and returns what it
// made, such as State.PhoneNumberID. Server.States lists the states; an unknown
// name fails the test with the nearest one.
func (h *Handle) SetState(name string, params map[string]any) State {
	h.t.Helper()
	vars, err := h.Session().SetState(name, params)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, mock.ErrUnknownState) {
			var names []string
			for _, st := range h.srv.States() {
				names = append(names, st.Name)
			}
			msg = fmt.Sprintf("unknown provider state %q%s (the states: %s)", name, didYouMean(name, names, `"%s"`), strings.Join(quoteAll(names), ", "))
		}
		h.fatalf("mocktest: SetState: %s", msg)
		return State{}
	}
	return newState(vars)
}

// Requests returns the handle's session's journal, oldest first.
func (h *Handle) Requests() []mock.JournalEntry { return h.Session().Requests() }

// PhoneNumber returns a copy of a phone number in the handle's session; a number
// that does not exist fails the test.
func (h *Handle) PhoneNumber(id string) mock.PhoneNumber {
	h.t.Helper()
	pn, ok := h.Session().PhoneNumber(id)
	if !ok {
		h.fatalf("mocktest: no phone number %q in session %q", id, h.SessionName)
	}
	return pn
}

// Field returns one field of a phone number in the handle's session: a string, or
// nil for null. A number that does not exist, or a field its provider's schema does
// not declare (a typo such as "inbound_agent"), fails the test naming the valid
// fields, so that "it was cleared" is never confused with "there is no such field".
func (h *Handle) Field(id, name string) any {
	h.t.Helper()
	pn, ok := h.Session().PhoneNumber(id)
	if !ok {
		h.fatalf("mocktest: Field(%q, %q): no phone number %q in session %q", id, name, id, h.SessionName)
		return nil
	}
	v, ok := pn.Fields[name]
	if !ok {
		fields := h.fieldNames(pn)
		h.fatalf("mocktest: Field(%q, %q): a %s number has no field %q%s (its fields: %s)",
			id, name, pn.Provider, name, didYouMean(name, fields, `"%s"`), strings.Join(fields, ", "))
		return nil
	}
	return v
}

// fieldNames lists a number's fields in the order of its provider's schema.
func (h *Handle) fieldNames(pn mock.PhoneNumber) []string {
	if p := h.srv.Document().Provider(pn.Provider); p != nil {
		return p.FieldNames()
	}
	names := make([]string, 0, len(pn.Fields))
	for k := range pn.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// fatalf fails the handle's test. It stops the test (t.Fatalf) only on the goroutine
// that made the handle: FailNow from any other goroutine (a subtest calling a
// helper of its parent's server, or a goroutine the test started) would end the
// wrong goroutine and panic the whole test binary. There it reports with Errorf and
// the helper returns a zero value.
func (h *Handle) fatalf(format string, args ...any) {
	h.t.Helper()
	if goid() == h.goid {
		h.t.Fatalf(format, args...)
		return
	}
	hint := "\n(the helper was called on another goroutine than the test it belongs to; in a subtest, use fake.For(t) and call the handle's helpers)"
	h.t.Errorf(format+hint, args...)
}

// goid is the current goroutine's id, read from the first line of runtime.Stack
// ("goroutine 18 [running]:"). The testing package cannot say which goroutine runs
// a test; fatalf needs to know, and only on the failure path.
func goid() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}
