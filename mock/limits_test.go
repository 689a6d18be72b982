package mock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
)

func adminPost(path, body string) req {
	return req{method: http.MethodPost, contentType: "application/json", path: path, body: []byte(body)}
}

func inSession(name string, r req) req {
	r.header = http.Header{SessionHeader: {name}}
	return r
}

func TestJournalIsBoundedInBytesAcrossSessions(t *testing.T) {
	t.Parallel()
	const budget = 256 << 10
	s := newServer(t, Options{JournalBytes: budget})
	big := `{"friendly_name":"` + strings.Repeat("x", 40<<10) + `"}`
	for i := range 60 {
		serve(t, s, inSession(fmt.Sprintf("s%d", i%6), patch(sipID, big)), false)
		if used := s.journal.usage(); used > budget {
			t.Fatalf("after %d requests the journal holds %d bytes, over its %d budget", i+1, used, budget)
		}
	}
	// The oldest went first: the newest session still has entries, the first lost its oldest.
	newest := s.Session("s5").Requests()
	if len(newest) == 0 {
		t.Fatal("the newest session kept nothing")
	}
	if first := s.Session("s0").Requests(); len(first) > 0 && first[0].Seq == 1 {
		t.Errorf("session s0 kept its first entry while the budget was spent")
	}
}

func TestJournalEntryBounds(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	r := patch(sipID, `{"friendly_name":"`+strings.Repeat("y", 100<<10)+`"}`)
	r.header = http.Header{"X-Big": {strings.Repeat("h", 200<<10)}}
	for i := range 100 {
		r.header.Set(fmt.Sprintf("X-Many-%03d", i), "v")
	}
	serve(t, s, r, false)
	e := s.Session("").Requests()[0]
	if !e.BodyTruncated || len(e.Body) != maxJournalBody {
		t.Errorf("body kept %d bytes, truncated %v; want %d, true", len(e.Body), e.BodyTruncated, maxJournalBody)
	}
	if !e.HeadersTruncated || len(e.Header) > maxJournalHeaders || len(e.Header.Get("X-Big")) > maxJournalHeaderValue {
		t.Errorf("headers kept %d names, X-Big %d bytes, truncated %v", len(e.Header), len(e.Header.Get("X-Big")), e.HeadersTruncated)
	}
}

func TestJournalListing(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	for i := range 5 {
		serve(t, s, patch(sipID, fmt.Sprintf(`{"friendly_name":"n%d"}`, i)), false)
	}
	list := func(q string) []JournalEntry {
		t.Helper()
		got := serve(t, s, req{method: http.MethodGet, path: "/__admin/requests" + q}, false)
		var v struct{ Requests []JournalEntry }
		if err := json.Unmarshal([]byte(got.body), &v); err != nil {
			t.Fatalf("%s: %d %v: %s", q, got.status, err, got.body)
		}
		return v.Requests
	}
	seqs := func(es []JournalEntry) string {
		var b strings.Builder
		for _, e := range es {
			fmt.Fprint(&b, e.Seq, " ")
		}
		return strings.TrimSpace(b.String())
	}
	for q, want := range map[string]string{
		"":                              "1 2 3 4 5",
		"?since=3":                      "4 5",
		"?limit=2":                      "1 2",
		"?order=newest&limit=2":         "5 4",
		"?order=newest&since=2":         "5 4 3",
		"?since=5":                      "",
		"?order=oldest&since=1&limit=1": "2",
	} {
		if got := seqs(list(q)); got != want {
			t.Errorf("%q: seqs %q, want %q", q, got, want)
		}
	}
	for _, q := range []string{"?since=x", "?limit=-1", "?order=up"} {
		if got := serve(t, s, req{method: http.MethodGet, path: "/__admin/requests" + q}, false); got.status != 400 {
			t.Errorf("%s: %d, want 400", q, got.status)
		}
	}
}

// Entries that take the buffers of the ones they push out, of every size in turn,
// keep their own text and nothing of the old.
func TestJournalReusedBuffersKeepTheirOwnText(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{JournalSize: 3})
	var sent []string
	for i := range 40 {
		n := 300 - 5*i // shorter each time: the buffer pushed out fits the next entry
		if i%4 == 3 {
			n = 1 // and now and then one that must not take it
		}
		name := strings.Repeat(string(rune('a'+i%26)), n)
		body := `{"friendly_name":"` + name + `","sip_trunk_password":"pw` + strconv.Itoa(i) + `"}`
		if r := serve(t, s, patch(sipID, body), false); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		sent = append(sent, strings.Replace(body, `"pw`+strconv.Itoa(i)+`"`, `"`+Redacted+`"`, 1))
	}
	got := serve(t, s, req{method: http.MethodGet, path: "/__admin/requests"}, false)
	var v struct{ Requests []JournalEntry }
	if err := json.Unmarshal([]byte(got.body), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Requests) != 3 {
		t.Fatalf("%d entries, want 3", len(v.Requests))
	}
	for i, e := range v.Requests {
		if want := sent[len(sent)-3+i]; e.Body != want || !strings.Contains(e.ResponseBody, want[len(`{"friendly_name":"`):strings.Index(want, `",`)]) {
			t.Errorf("entry %d: body %q, want %q; answer %q", e.Seq, e.Body, want, e.ResponseBody)
		}
		if strings.Contains(e.ResponseBody, "pw") {
			t.Errorf("entry %d: answer holds a secret: %s", e.Seq, e.ResponseBody)
		}
	}
}

func TestJournalAndLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := newServer(t, Options{Logger: debugLogger(&logs)})
	secrets := []string{"947114711", "981508150", "pw-4711", "tok-0815", "key-1234", "cookie-99", "bearer-77", "proxy-55", "q-key-66", "q-tok-88", "raw-pw-33"}
	r := patch(sipID, `{"sip_trunk_password":"pw-4711","twilio_auth_token":"tok-0815","friendly_name":"ok"}`)
	r.path += "?api_key=q-key-66&token=q-tok-88&session_hint=kept"
	r.header = http.Header{"Api-Key": {"key-1234"}, "Cookie": {"cookie-99"}, "Authorization": {"Bearer bearer-77"},
		"Proxy-Authorization": {"proxy-55"}, "X-Auth-Token": {"tok-0815"}}
	serve(t, s, r, false)
	serve(t, s, patch(sipID, `{"sip_trunk_password":947114711,"twilio_auth_token":981508150}`), false) // a 422 echoing them
	serve(t, s, req{method: http.MethodPatch, path: "/v1/phone-numbers/" + sipID, contentType: "text/plain",
		body: []byte(`not json but "sip_trunk_password": "raw-pw-33", "x": 1`)}, false)
	listing := serve(t, s, req{method: http.MethodGet, path: "/__admin/requests"}, false).body
	for _, secret := range secrets {
		if strings.Contains(listing, secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("secret %q is in the journal or the log", secret)
		}
	}
	for _, kept := range []string{`"friendly_name\":\"ok\"`, "session_hint=kept", Redacted} {
		if !strings.Contains(listing, kept) && !strings.Contains(listing, strings.ReplaceAll(kept, `\`, "")) {
			t.Errorf("the listing lost %q: %s", kept, listing)
		}
	}
}

func TestFaultRuleLimits(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxFaultRules: 3, MaxFaultRuleBytes: 4096})
	for i := range 3 {
		if got := serve(t, s, adminPost("/__admin/faults", `{"status":500,"match":{"phone_number_id":"x`+fmt.Sprint(i)+`"}}`), false); got.status != 201 {
			t.Fatalf("rule %d: %d %s", i, got.status, got.body)
		}
	}
	if got := serve(t, s, adminPost("/__admin/faults", `{"status":500}`), false); got.status != 409 || !strings.Contains(got.body, "too_many_fault_rules") {
		t.Errorf("4th rule: %d %s, want 409 too_many_fault_rules", got.status, got.body)
	}
	tests := []struct{ name, rule, want string }{
		{"large raw body", `{"status":500,"off_document":true,"raw_body":"` + strings.Repeat("z", 5000) + `"}`, "at most 4096"},
		{"long glob", `{"status":500,"match":{"phone_number_id":"` + strings.Repeat("*a", 600) + `"}}`, "a glob has at most"},
		{"misspelt matcher", `{"status":500,"match":{"body":{"x":{"$presnt":true}}}}`, "did you mean $present"},
		{"unknown method", `{"status":500,"match":{"method":"PTACH"}}`, "did you mean PATCH?"},
	}
	s2 := newServer(t, Options{MaxFaultRuleBytes: 4096})
	for _, tt := range tests {
		got := serve(t, s2, adminPost("/__admin/faults", tt.rule), false)
		if got.status != 400 || !strings.Contains(got.body, tt.want) {
			t.Errorf("%s: %d %.200s, want 400 with %q", tt.name, got.status, got.body, tt.want)
		}
	}
}

// A glob made to backtrack is matched by a linear-time automaton: this test would not
// end with a backtracking matcher.
func TestGlobMatchingIsLinear(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	glob := strings.Repeat("*a", 500) + "b"
	if _, err := s.Session("").AddFault(FaultRule{Status: 500, Match: FaultMatch{PhoneNumberID: glob}}); err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("a", 60<<10)
	if got := serve(t, s, patch(id, `{}`), false); got.status != 404 {
		t.Errorf("%d, want 404: the rule must not match", got.status)
	}
}

func TestStateBudget(t *testing.T) {
	t.Parallel()
	// Half of 256 KiB is the pool sessions share beyond their floors (128 bytes each
	// with 1000 sessions): four 30 KiB writes fit, the fifth does not.
	s := newServer(t, Options{StateBytes: 256 << 10})
	big := `{"friendly_name":"` + strings.Repeat("s", 30<<10) + `"}`
	var statuses []int
	for i := range 6 {
		statuses = append(statuses, serve(t, s, inSession(fmt.Sprintf("b%d", i), patch(sipID, big)), i >= 4).status)
	}
	if fmt.Sprint(statuses) != "[200 200 200 200 507 507]" {
		t.Errorf("statuses %v, want four writes then 507 state_full", statuses)
	}
	// Resetting a session gives its bytes back.
	serve(t, s, adminPost("/__admin/reset?session=b0", ``), false)
	if got := serve(t, s, inSession("b9", patch(sipID, big)), false); got.status != 200 {
		t.Errorf("after a reset: %d %s", got.status, got.body)
	}
	if got := serve(t, s, inSession("b9", patch(sipID, `{"friendly_name":"small"}`)), false); got.status != 200 {
		t.Errorf("a smaller value always fits: %d", got.status)
	}
}

// Creating a session costs the same however many numbers are seeded: sessions share
// the seed until they write.
func TestSessionsShareTheSeed(t *testing.T) { // not parallel: AllocsPerRun needs the process to itself
	small := newServer(t, Options{})
	large := newServer(t, Options{Generate: 20000})
	n := 0
	allocs := func(s *Server) float64 {
		return testing.AllocsPerRun(50, func() {
			n++
			s.Session(fmt.Sprintf("cow-%d", n))
		})
	}
	if a, b := allocs(small), allocs(large); b > a+2 {
		t.Errorf("a session costs %.0f allocations with 7 seeded numbers and %.0f with 20,007", a, b)
	}
	if _, ok := large.Session("cow-1").PhoneNumber(sipID); !ok {
		t.Error("a new session does not see the seed")
	}
}

func TestSessionsAreOwned(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxSessions: 2})
	for _, r := range []req{
		{method: http.MethodGet, path: "/__admin/requests?session=ghost"},
		{method: http.MethodGet, path: "/__admin/phone-numbers?session=ghost"},
		{method: http.MethodGet, path: "/__admin/faults?session=ghost"},
	} {
		if got := serve(t, s, r, false); got.status != 404 || !strings.Contains(got.body, "session_not_found") {
			t.Errorf("%s: %d %s, want 404 session_not_found", r.path, got.status, got.body)
		}
	}
	serve(t, s, inSession("ghost", req{method: http.MethodGet, path: "/v1/phone-numbers/" + sipID}), false)
	serve(t, s, inSession("ghost", req{method: http.MethodGet, path: "/nowhere"}), false)
	if names := s.SessionNames(); len(names) != 0 {
		t.Errorf("reads created sessions %v", names)
	}
	serve(t, s, inSession("a", patch(sipID, `{"friendly_name":"a"}`)), false)
	serve(t, s, adminPost("/__admin/faults?session=b", `{"status":500,"times":1}`), false)
	if got := serve(t, s, req{method: http.MethodGet, path: "/__admin/faults?session=b"}, false); got.status != 200 {
		t.Errorf("b was not created by its POST: %d", got.status)
	}
	// A third session drops the least recently used; its next request says so, once.
	serve(t, s, inSession("c", patch(sipID, `{}`)), false)
	got := serve(t, s, inSession("a", patch(sipID, `{}`)), true)
	if got.status != 410 || !strings.Contains(got.body, "session_evicted") || !strings.Contains(got.body, `\"a\" was dropped`) {
		t.Errorf("evicted session: %d %s, want 410 session_evicted naming it", got.status, got.body)
	}
	if got := serve(t, s, inSession("a", patch(sipID, `{}`)), false); got.status != 200 || !strings.Contains(got.body, "SF front desk") {
		t.Errorf("after the notice the session starts again: %d %s", got.status, got.body)
	}
	long := strings.Repeat("n", MaxSessionName+1)
	if got := serve(t, s, inSession(long, patch(sipID, `{}`)), true); got.status != 400 || !strings.Contains(got.body, "invalid_session") {
		t.Errorf("a %d-byte name: %d %s", len(long), got.status, got.body)
	}
}

func TestAdminGuard(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{AdminHosts: []string{"localhost", "127.0.0.1", "::1", "fake.internal"}})
	do := func(method, host, ct, path, body string) int {
		t.Helper()
		r := httptest.NewRequest(method, "http://"+host+path, strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	tests := []struct {
		method, host, ct, path, body string
		want                         int
	}{
		{"GET", "localhost:8080", "", "/__admin/health", "", 200},
		{"GET", "[::1]:8080", "", "/__admin/health", "", 200},
		{"GET", "fake.internal", "", "/__admin/health", "", 200},
		{"GET", "evil.example:8080", "", "/__admin/health", "", 403},
		{"POST", "evil.example", "application/json", "/__admin/reset", "", 403},
		{"PATCH", "evil.example", "application/json", "/v1/phone-numbers/" + sipID, "{}", 200}, // the API answers any Host
		{"POST", "localhost", "text/plain", "/__admin/reset", "", 415},
		{"POST", "localhost", "application/x-www-form-urlencoded", "/__admin/faults", "status=500", 415},
		{"POST", "localhost", "", "/__admin/reset", "", 204}, // no body, no Origin: curl or a script (admin_origin_test.go)
		{"POST", "localhost", "application/json; charset=utf-8", "/__admin/reset", "", 204},
		{"DELETE", "localhost", "", "/__admin/faults", "", 204},
		{"DELETE", "localhost", "text/plain", "/__admin/faults", "x", 415},
	}
	for _, tt := range tests {
		if got := do(tt.method, tt.host, tt.ct, tt.path, tt.body); got != tt.want {
			t.Errorf("%s %s Host %s (%s): %d, want %d", tt.method, tt.path, tt.host, tt.ct, got, tt.want)
		}
	}
}

func TestTooLargeBodies(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxBodyBytes: 1024})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	// Expect: 100-continue with a body over the limit: 413 at once, never 100 Continue.
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH /v1/phone-numbers/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000000\r\nExpect: 100-continue\r\n\r\n", sipID)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 413") {
		t.Errorf("first line %q (%v), want a 413", line, err)
	}
	// Admin bodies over the limit get 413 too, in the ErrorResponse shape.
	got := serve(t, s, adminPost("/__admin/faults", `{"status":500,"name":"`+strings.Repeat("n", 2000)+`"}`), false)
	if got.status != 413 || !strings.Contains(got.body, "request_too_large") {
		t.Errorf("large admin body: %d %s", got.status, got.body)
	}
}

func TestDrainAnswersDelayedRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	if _, err := s.Session("").AddFault(FaultRule{Status: 500, Delay: Duration(time.Hour), Match: FaultMatch{PhoneNumberID: sipID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session("").AddFault(FaultRule{Delay: Duration(time.Hour), Match: FaultMatch{PhoneNumberID: piaID}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	type result struct {
		status int
		err    error
	}
	send := func(id string) chan result {
		c := make(chan result, 1)
		go func() {
			r, _ := http.NewRequest(http.MethodPatch, ts.URL+"/v1/phone-numbers/"+id, strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(r)
			if err != nil {
				c <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			c <- result{status: resp.StatusCode}
		}()
		return c
	}
	failing, passing := send(sipID), send(piaID)
	for deadline := time.Now().Add(10 * time.Second); ; {
		matched := 0
		for _, f := range s.Session("").Faults() {
			matched += f.Matched
		}
		if matched == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the requests never reached their delays")
		}
		time.Sleep(5 * time.Millisecond) // polling a counter, not standing in for sync
	}
	s.Drain()
	if r := <-failing; r.err != nil || r.status != 500 {
		t.Errorf("the delayed fault: %v %d, want its 500", r.err, r.status)
	}
	if r := <-passing; r.err != nil || r.status != 200 {
		t.Errorf("the delayed pass-through: %v %d, want 200", r.err, r.status)
	}
	for _, e := range s.Session("").Requests() {
		if !e.DelaySkipped {
			t.Errorf("journal entry %d not marked delay_skipped", e.Seq)
		}
	}
}

// Request targets of every form HTTP allows reach an answer, never the panic recovery.
func TestRequestTargetForms(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	for _, target := range []string{
		"GET http://x HTTP/1.1", "PATCH http://x HTTP/1.1", "GET http://x?a=b HTTP/1.1", "OPTIONS * HTTP/1.1",
		"PATCH http://x/v1/phone-numbers/" + sipID + " HTTP/1.1", "GET //v1/phone-numbers/x HTTP/1.1",
		"GET /v1/phone-numbers/%zz HTTP/1.1", "PATCH /v1/phone-numbers/ HTTP/1.1",
	} {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "%s\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", target)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: %v", target, err)
			conn.Close()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode >= 500 || strings.Contains(string(body), "see its log") {
			t.Errorf("%s: %d %s", target, resp.StatusCode, body)
		}
	}
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestRedactBody(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"sip_trunk_password":"a","friendly_name":"b"}`, `{"sip_trunk_password":"[REDACTED]","friendly_name":"b"}`},
		{`{"x":{"twilio_auth_token" : "t\"q"}}`, `{"x":{"twilio_auth_token" : "[REDACTED]"}}`},
		{`{"api_key":12345,"n":1}`, `{"api_key":"[REDACTED]","n":1}`},
		{`"{\"sip_trunk_password\": \"p\", \"k\": 1}"`, `"{\"sip_trunk_password\": \"[REDACTED]\", \"k\": 1}"`},
		{`{"friendly_name":"password"}`, `{"friendly_name":"password"}`},
		{`plain text`, `plain text`},
	}
	for _, tt := range tests {
		if got := string(protocol.AppendRedacted(nil, tt.in)); got != tt.want {
			t.Errorf("AppendRedacted(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRedactBodyIgnoresCase(t *testing.T) {
	t.Parallel()
	if got := string(protocol.AppendRedacted(nil, `{"Sip_Trunk_PassWord":"x1"}`)); strings.Contains(got, "x1") {
		t.Errorf("a credential key in mixed case kept its value: %s", got)
	}
}

// TestJournalRingKeepsOrder drives a session's ring with random adds (the cap
// dropping the oldest), budget trims and clears, beside a plain slice of the same
// entries: listings in either order, with since and limit, must agree after every
// step, whether the ring has wrapped, grown or been halved.
func TestJournalRingKeepsOrder(t *testing.T) {
	t.Parallel()
	const perSession = 37
	j := newJournal(1<<40, perSession)
	ss := &sessionState{}
	var model []int64 // live seqs, oldest first
	var seq int64
	rng := rand.New(rand.NewPCG(3, 4))
	for step := range 5000 {
		switch op := rng.IntN(100); {
		case op < 85:
			seq++
			j.add(ss, captureEntry(JournalEntry{Status: 200}, []byte("x"), nil, nil, recordLayout{}, nil))
			if model = append(model, seq); len(model) > perSession {
				model = model[1:]
			}
		case op < 97:
			for range rng.IntN(30) { // as the budget's trim does
				if l := j.logs[ss]; l != nil && l.n > 0 {
					j.killOldest(l)
					model = model[1:]
				}
			}
		default:
			j.clear(ss)
			model = nil
			if l := j.logs[ss]; l != nil && len(l.ring) > 8 {
				t.Fatalf("step %d: a cleared session keeps a ring of %d slots", step, len(l.ring))
			}
		}
		since := int64(0)
		if len(model) > 0 && rng.IntN(2) == 0 {
			since = model[rng.IntN(len(model))]
		}
		q := JournalQuery{Since: since, Limit: rng.IntN(5), NewestFirst: rng.IntN(2) == 0}
		var want []int64
		for _, s := range model {
			if s > since {
				want = append(want, s)
			}
		}
		if q.NewestFirst {
			slices.Reverse(want)
		}
		if q.Limit > 0 && len(want) > q.Limit {
			want = want[:q.Limit]
		}
		var got []int64
		for _, e := range j.list(ss, q) {
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d, %+v: seqs %v, want %v", step, q, got, want)
		}
		if entries, _ := j.stats(ss); entries != len(model) {
			t.Fatalf("step %d: %d entries, want %d", step, entries, len(model))
		}
		if l := j.logs[ss]; l != nil && len(l.ring) > 2*perSession {
			t.Fatalf("step %d: a ring of %d slots for at most %d entries", step, len(l.ring), perSession+1)
		}
	}
}
