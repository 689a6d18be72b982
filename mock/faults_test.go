package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func addFault(t testing.TB, s *Server, session string, r FaultRule) FaultRule {
	t.Helper()
	added, err := s.Session(session).AddFault(r)
	if err != nil {
		t.Fatalf("AddFault: %v", err)
	}
	return added
}

func withHeader(r req, kv ...string) req {
	r.header = http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		r.header.Set(kv[i], kv[i+1])
	}
	return r
}

func TestFaultMatchers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		match FaultMatch
		hit   req
		miss  req
	}{
		{"method", FaultMatch{Method: "patch"}, patch(sipID, `{}`), req{method: "GET", path: "/v1/phone-numbers/" + sipID}},
		{"id exact", FaultMatch{PhoneNumberID: sipID}, patch(sipID, `{}`), patch(piaID, `{}`)},
		{"id glob", FaultMatch{PhoneNumberID: "6650a1f2c3d4e5f6a7b8c90[12]"}, patch(sipBDID, `{}`), patch(piaID, `{}`)},
		{"body value", FaultMatch{Body: map[string]any{"friendly_name": "boom"}}, patch(sipID, `{"friendly_name":"boom"}`), patch(sipID, `{"friendly_name":"ok"}`)},
		{"body null value", FaultMatch{Body: map[string]any{"inbound_agent_id": nil}}, patch(sipID, `{"inbound_agent_id":null}`), patch(sipID, `{}`)},
		{"body present", FaultMatch{Body: map[string]any{"sip_trunk_password": map[string]any{"$present": true}}}, patch(sipID, `{"sip_trunk_password":"x"}`), patch(sipID, `{"friendly_name":"x"}`)},
		{"body absent", FaultMatch{Body: map[string]any{"friendly_name": map[string]any{"$absent": true}}}, patch(sipID, `{}`), patch(sipID, `{"friendly_name":"x"}`)},
		{"header exact", FaultMatch{Headers: map[string]string{"X-Tenant": "acme"}}, withHeader(patch(sipID, `{}`), "X-Tenant", "acme"), withHeader(patch(sipID, `{}`), "X-Tenant", "other")},
		{"header glob", FaultMatch{Headers: map[string]string{"Authorization": "Bearer test-*"}}, withHeader(patch(sipID, `{}`), "Authorization", "Bearer test-1"), withHeader(patch(sipID, `{}`), "Authorization", "Bearer live-1")},
		{"header presence", FaultMatch{Headers: map[string]string{"X-Trace": ""}}, withHeader(patch(sipID, `{}`), "X-Trace", "1"), patch(sipID, `{}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{})
			addFault(t, s, "", FaultRule{Match: tt.match, Status: 500})
			if got := serve(t, s, tt.hit, false); got.status != 500 {
				t.Errorf("matching request: %d %s, want 500", got.status, got.body)
			}
			if got := serve(t, s, tt.miss, false); got.status == 500 {
				t.Errorf("non-matching request got the fault")
			}
		})
	}
}

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rule   FaultRule
		req    req
		status int
		body   string
		header map[string]string
		off    bool
	}{
		{"404 default", FaultRule{Status: 404}, patch(sipID, `{}`), 404, `{"error":"phone_number_not_found","message":"Phone number with id '6650a1f2c3d4e5f6a7b8c901' was not found."}`, nil, false},
		{"500 default", FaultRule{Status: 500}, patch(sipID, `{}`), 500, `{"error":"internal_error","message":"An unexpected error occurred while updating the phone number. Please try again later."}`, nil, false},
		// The default 422 is built from the request: the field it sent, its value as the
		// input, and a msg that refuses the value without calling it the wrong type.
		{"422 default names the sent field", FaultRule{Status: 422}, patch(sipID, `{"friendly_name":"x"}`), 422, `{"detail":[{"type":"value_error","loc":["body","UpdateSIPPhoneNumberRequest","friendly_name"],"msg":"Value error, friendly_name was refused","input":"x","ctx":{"error":{}}},{"type":"value_error","loc":["body","UpdatePiaPhoneNumberRequest","friendly_name"],"msg":"Value error, friendly_name was refused","input":"x","ctx":{"error":{}}},{"type":"value_error","loc":["body","UpdateTwilioPhoneNumberRequest","friendly_name"],"msg":"Value error, friendly_name was refused","input":"x","ctx":{"error":{}}}]}`, nil, false},
		{"422 default names the rule's field", FaultRule{Status: 422, Match: FaultMatch{Body: map[string]any{"inbound_agent_id": "a1"}}}, patch(sipID, `{"friendly_name":"x","inbound_agent_id":"a1"}`), 422, `{"detail":[{"type":"value_error","loc":["body","UpdateSIPPhoneNumberRequest","inbound_agent_id"],"msg":"Value error, inbound_agent_id was refused","input":"a1","ctx":{"error":{}}},{"type":"value_error","loc":["body","UpdatePiaPhoneNumberRequest","inbound_agent_id"],"msg":"Value error, inbound_agent_id was refused","input":"a1","ctx":{"error":{}}},{"type":"value_error","loc":["body","UpdateTwilioPhoneNumberRequest","inbound_agent_id"],"msg":"Value error, inbound_agent_id was refused","input":"a1","ctx":{"error":{}}}]}`, nil, false},
		{"422 default for an empty object names no field", FaultRule{Status: 422}, patch(sipID, `{}`), 422, `{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, the request was refused","input":{},"ctx":{"error":{}}}]}`, nil, false},
		{"422 default skips undeclared fields", FaultRule{Status: 422}, patch(sipID, `{"nickname":"n"}`), 422, `{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, the request was refused","input":{"nickname":"n"},"ctx":{"error":{}}}]}`, nil, false},
		{"422 default without a body", FaultRule{Status: 422}, patch(sipID, ``), 422, `{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}`, nil, false},
		{"custom body and headers", FaultRule{Status: 500, Body: []byte(`{"error":"db_down","message":"try later"}`), Headers: map[string]string{"Retry-After": "3"}}, patch(sipID, `{}`), 500, `{"error":"db_down","message":"try later"}`, map[string]string{"Retry-After": "3"}, false},
		{"custom 200", FaultRule{Status: 200, Body: []byte(`{"_id":"x","provider":"pia","phone_number":"+1555"}`)}, patch(sipID, `{}`), 200, `{"_id":"x","provider":"pia","phone_number":"+1555"}`, nil, false},
		{"off-document status asked for", FaultRule{Status: 503, Body: []byte(`{"error":"unavailable"}`), OffDocument: true}, patch(sipID, `{}`), 503, `{"error":"unavailable"}`, nil, true},
		{"off-document body asked for", FaultRule{Status: 404, Body: []byte(`{"detail":"Not Found"}`), OffDocument: true}, patch(sipID, `{}`), 404, `{"detail":"Not Found"}`, nil, true},
		{"malformed body asked for", FaultRule{Status: 502, RawBody: `<html>Bad Gateway</html>`, Headers: map[string]string{"Content-Type": "text/html"}, OffDocument: true}, patch(sipID, `{}`), 502, `<html>Bad Gateway</html>`, map[string]string{"Content-Type": "text/html"}, true},
		{"truncated JSON asked for", FaultRule{Status: 500, RawBody: `{"error":"internal_er`, OffDocument: true}, patch(sipID, `{}`), 500, `{"error":"internal_er`, nil, true},
		{"latency only passes the request on", FaultRule{Delay: Duration(1)}, patch(sipID, `{}`), 200, sipRecord, nil, false},
		{"any method matches", FaultRule{Status: 500}, req{method: "GET", path: "/v1/phone-numbers/" + sipID}, 500, `{"error":"internal_error","message":"An unexpected error occurred while updating the phone number. Please try again later."}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{})
			rule := addFault(t, s, "", tt.rule)
			got := serve(t, s, tt.req, tt.off)
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if got.header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, got.header.Get(k), v)
				}
			}
			if f := s.Session("").Faults(); f[0].Fired != 1 || f[0].ID != rule.ID {
				t.Errorf("fault status %+v", f[0])
			}
			if j := s.Session("").Requests(); j[len(j)-1].Fault != rule.ID {
				t.Errorf("journal fault %q, want %q", j[len(j)-1].Fault, rule.ID)
			}
		})
	}
}

// TestFaultRefusals: nobody gets an answer off the document by mistake.
func TestFaultRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule FaultRule
		want string
	}{
		{"undocumented status", FaultRule{Status: 503}, "status: 503 is not a status the document lists (200, 404, 422, 500): set off_document: true, and give the body"},
		// The same one message with a body: never a second refusal in a library's words.
		{"undocumented status with a body", FaultRule{Status: 503, Body: json.RawMessage(`{"error":"x","message":"y"}`)}, "status: 503 is not a status the document lists"},
		{"undocumented status with a raw body", FaultRule{Status: 429, RawBody: "slow down"}, "status: 429 is not a status the document lists"},
		{"body off the schema", FaultRule{Status: 404, Body: []byte(`{"detail":"Not Found"}`)}, "off the document"},
		{"200 off the schema", FaultRule{Status: 200, Body: []byte(`{"provider":"carrier-pigeon"}`)}, "off the document"},
		{"body not JSON", FaultRule{Status: 500, Body: []byte(`{`), OffDocument: true}, "body: not JSON"},
		{"malformed raw_body not asked for", FaultRule{Status: 500, RawBody: `{"error":`}, "raw_body is off the document"},
		{"body and raw_body", FaultRule{Status: 500, Body: []byte(`{}`), RawBody: `{}`, OffDocument: true}, "not both"},
		{"nothing to do", FaultRule{}, "needs a status, a connection fault or a delay"},
		{"reset with a body", FaultRule{Connection: ConnReset, Status: 500}, "sends nothing"},
		{"unknown connection fault", FaultRule{Connection: "explode", Status: 500}, `connection: "explode" is not a connection fault`},
		{"bad probability", FaultRule{Status: 500, Probability: 2}, "probability"},
		{"bad glob", FaultRule{Status: 500, Match: FaultMatch{PhoneNumberID: "["}}, "phone_number_id"},
		{"negative times", FaultRule{Status: 500, Times: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{})
			_, err := s.Session("").AddFault(tt.rule)
			if !errors.Is(err, ErrFaultRule) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrFaultRule containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "_conformance") {
				t.Errorf("error speaks the validator's check names: %v", err)
			}
		})
	}
}

func statuses(t *testing.T, s *Server, n int, r req) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = serve(t, s, r, false).status
	}
	return out
}

func TestFaultCounters(t *testing.T) {
	t.Parallel()
	t.Run("times", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, Options{})
		addFault(t, s, "", FaultRule{Status: 500, Times: 2})
		if got := fmt.Sprint(statuses(t, s, 4, patch(sipID, `{}`))); got != "[500 500 200 200]" {
			t.Errorf("got %s", got)
		}
		f := s.Session("").Faults()[0]
		if f.Matched != 2 || f.Fired != 2 || *f.Remaining != 0 {
			t.Errorf("status %+v remaining %d", f, *f.Remaining)
		}
	})
	t.Run("after", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, Options{})
		addFault(t, s, "", FaultRule{Status: 500, After: 2, Times: 1})
		if got := fmt.Sprint(statuses(t, s, 4, patch(sipID, `{}`))); got != "[200 200 500 200]" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("probability is seeded", func(t *testing.T) {
		t.Parallel()
		run := func(seed uint64) []int {
			s := newServer(t, Options{Seed: seed})
			addFault(t, s, "", FaultRule{Status: 500, Probability: 0.3})
			return statuses(t, s, 300, patch(sipID, `{}`))
		}
		a, b, c := run(1), run(1), run(2)
		fired := strings.Count(fmt.Sprint(a), "500")
		if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) == fmt.Sprint(c) {
			t.Errorf("probability is not a function of the seed")
		}
		if fired < 60 || fired > 120 {
			t.Errorf("fired %d of 300 at p=0.3", fired)
		}
	})
}

func TestFaultPrecedence(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	addFault(t, s, "", FaultRule{Name: "low", Status: 404})
	addFault(t, s, "", FaultRule{Name: "high", Status: 500, Priority: 10, Match: FaultMatch{PhoneNumberID: sipID}})
	addFault(t, s, "", FaultRule{Name: "newest", Status: 422})
	addFault(t, s, "", FaultRule{Name: "waits", Status: 500, Priority: 20, After: 1})
	// waits (priority 20) matches but lets its first request through to "high".
	if got := statuses(t, s, 2, patch(sipID, `{}`)); fmt.Sprint(got) != "[500 500]" {
		t.Errorf("sip: %v", got)
	}
	byName := map[string]FaultStatus{}
	for _, f := range s.Session("").Faults() {
		byName[f.Name] = f
	}
	if byName["waits"].Fired != 1 || byName["high"].Fired != 1 {
		t.Errorf("waits %+v high %+v", byName["waits"], byName["high"])
	}
	s.Session("").RemoveFault(byName["waits"].ID)
	// For another id "high" does not match; of the equal priorities the newest wins.
	if got := serve(t, s, patch(piaID, `{}`), false); got.status != 422 {
		t.Errorf("pia: %d, want 422 from the newest rule", got.status)
	}
}

// TestTimesOnceUnderConcurrency: 50 concurrent matching requests, times: 1 fires once.
func TestTimesOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	addFault(t, s, "", FaultRule{Status: 500, Times: 1})
	var wg sync.WaitGroup
	results := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- serve(t, s, patch(sipID, `{}`), false).status
		}()
	}
	wg.Wait()
	close(results)
	count := map[int]int{}
	for st := range results {
		count[st]++
	}
	if count[500] != 1 || count[200] != 49 {
		t.Errorf("statuses %v, want one 500 and 49 200s", count)
	}
	if j := s.Session("").Requests(); len(j) != 50 {
		t.Errorf("journal has %d entries, want 50", len(j))
	}
}

// TestConnectionFaults: each connection fault as a real Go HTTP client sees it.
func TestConnectionFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rule      FaultRule
		header    string
		wantDoErr bool // the request itself fails (no response)
	}{
		{"reset", FaultRule{Connection: ConnReset}, "", true},
		{"close after headers", FaultRule{Connection: ConnCloseAfterHeaders, Status: 500}, "", false},
		{"truncate", FaultRule{Connection: ConnTruncate, Status: 500}, "", false},
		{"reset by header", FaultRule{}, ConnReset, true},
		{"truncate by header", FaultRule{}, ConnTruncate, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{})
			if tt.header == "" {
				addFault(t, s, "", tt.rule)
			}
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			r, _ := http.NewRequest(http.MethodPatch, ts.URL+"/v1/phone-numbers/"+sipID, strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				r.Header.Set(FaultHeader, tt.header)
			}
			resp, err := ts.Client().Do(r)
			if tt.wantDoErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got a response %d, want a connection error", resp.StatusCode)
				}
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
					t.Errorf("error %v, want connection reset or EOF", err)
				}
				if j := s.Session("").Requests(); len(j) != 1 || j[0].Status != 0 || j[0].Fault == "" {
					t.Errorf("journal %+v, want one entry with status 0 and the fault", j)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 500 {
				t.Errorf("status %d, want the 500 headers", resp.StatusCode)
			}
			if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: %v, want unexpected EOF", err)
			}
			// The server keeps answering after the broken connection.
			s.Session("").ClearFaults()
			r2, _ := http.NewRequest(http.MethodPatch, ts.URL+"/v1/phone-numbers/"+sipID, strings.NewReader(`{}`))
			r2.Header.Set("Content-Type", "application/json")
			resp2, err := ts.Client().Do(r2)
			if err != nil || resp2.StatusCode != 200 {
				t.Fatalf("after the fault: %v %v", err, resp2)
			}
			resp2.Body.Close()
		})
	}
}

func TestFaultHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	tests := []struct {
		header, value string
		status        int
		off           bool
	}{
		{FaultHeader, "500", 500, false},
		{FaultHeader, "404", 404, false},
		{FaultHeader, "422", 422, false},
		{"Prefer", "code=500", 500, false},
		{"Prefer", "dynamic=true, code=404", 404, false},
		{FaultHeader, "503", 400, true},
		{FaultHeader, "teapot", 400, true},
	}
	for _, tt := range tests {
		got := serve(t, s, withHeader(patch(sipID, `{}`), tt.header, tt.value), tt.off)
		if got.status != tt.status {
			t.Errorf("%s: %s → %d %s, want %d", tt.header, tt.value, got.status, got.body, tt.status)
		}
	}
	if got := serve(t, s, patch(sipID, `{}`), false); got.status != 200 {
		t.Errorf("the header fault leaked into the next request: %d", got.status)
	}
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	yamlRules := "faults:\n  - name: slow and broken\n    match: {method: PATCH, phone_number_id: \"6650*\", body: {friendly_name: boom}}\n    status: 500\n    body: {error: db_down, message: later}\n    delay: 250ms\n    times: 2\n"
	rules, err := ParseFaults([]byte(yamlRules))
	if err != nil || len(rules) != 1 {
		t.Fatalf("ParseFaults: %v %v", rules, err)
	}
	r := rules[0]
	if r.Status != 500 || r.Times != 2 || r.Delay.String() != "250ms" || string(r.Body) != `{"error":"db_down","message":"later"}` || r.Match.Body["friendly_name"] != "boom" {
		t.Errorf("parsed %+v", r)
	}
	if rules, err := ParseFaults([]byte(`[{"status":404,"delay":100}]`)); err != nil || rules[0].Delay.String() != "100ms" {
		t.Errorf("JSON list: %v %v", rules, err)
	}
	for _, bad := range []string{"- statsu: 500\n", "faults: 3\n", "other: []\n", "- delay: soon\n"} {
		if _, err := ParseFaults([]byte(bad)); !errors.Is(err, ErrFaultRule) {
			t.Errorf("%q: error %v, want ErrFaultRule", bad, err)
		}
	}
	s := newServer(t, Options{Faults: rules})
	if got := serve(t, s, patch(sipID, `{"friendly_name":"boom"}`), false); got.status != 500 {
		t.Errorf("start fault did not fire: %d", got.status)
	}
}

func TestJournal(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{JournalSize: 3})
	serve(t, s, withHeader(patch(sipID, `{"friendly_name":1}`), "Authorization", "Bearer secret-token", "Content-Type", "application/json"), false)
	serve(t, s, patch(sipID, `{"sip_trunk_password":"p"}`), false)
	serve(t, s, withHeader(patch(sipID, `{}`), FaultHeader, "500"), false)
	serve(t, s, req{method: "POST", path: "/nowhere", body: []byte("lost?")}, false)
	serve(t, s, req{method: "GET", path: "/__admin/health"}, false) // admin: not journaled
	j := s.Session("").Requests()
	if len(j) != 3 {
		t.Fatalf("journal has %d entries, want 3 (bounded)", len(j))
	}
	if j[0].Seq != 2 || j[2].Seq != 4 || j[0].Validation != ValidationValid || j[0].Status != 200 {
		t.Errorf("first kept entry %+v", j[0])
	}
	if j[1].Fault != FaultHeader+": 500" || j[1].Status != 500 || j[1].Validation != ValidationSkipped {
		t.Errorf("fault entry %+v", j[1])
	}
	if j[2].Path != "/nowhere" || j[2].Status != 404 || j[2].Body != "lost?" {
		t.Errorf("unrouted entry %+v", j[2])
	}
	s2 := newServer(t, Options{})
	serve(t, s2, withHeader(patch(sipID, `{"friendly_name":1}`), "Authorization", "Bearer secret-token", "Content-Type", "application/json"), false)
	got := serve(t, s2, req{method: "GET", path: "/__admin/requests"}, false)
	if strings.Contains(got.body, "secret-token") || !strings.Contains(got.body, `"Authorization":["[REDACTED]"]`) {
		t.Errorf("Authorization not redacted: %s", got.body)
	}
	var listed struct{ Requests []JournalEntry }
	if err := json.Unmarshal([]byte(got.body), &listed); err != nil || len(listed.Requests) != 1 || listed.Requests[0].Validation != ValidationInvalid || listed.Requests[0].Body != `{"friendly_name":1}` {
		t.Errorf("listed %+v %v", listed, err)
	}
	if got := serve(t, s2, req{method: "DELETE", path: "/__admin/requests"}, false); got.status != 204 || len(s2.Session("").Requests()) != 0 {
		t.Errorf("DELETE: %d, %d left", got.status, len(s2.Session("").Requests()))
	}
}

// TestSessionsAreIsolated: two sessions interleave PATCHes and faults; neither sees
// the other's state, faults or journal.
func TestSessionsAreIsolated(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	in := func(session string, r req) req {
		r.header = http.Header{SessionHeader: {session}}
		return r
	}
	addFault(t, s, "b", FaultRule{Status: 500, Match: FaultMatch{PhoneNumberID: piaID}})
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				serve(t, s, in(name, patch(sipID, fmt.Sprintf(`{"friendly_name":"%s-%d"}`, name, i))), false)
				want := 200
				if name == "b" {
					want = 500
				}
				if got := serve(t, s, in(name, patch(piaID, `{}`)), false); got.status != want {
					t.Errorf("session %s pia: %d, want %d", name, got.status, want)
				}
			}
		}()
	}
	wg.Wait()
	for _, name := range []string{"a", "b"} {
		pn, _ := s.Session(name).PhoneNumber(sipID)
		if pn.Fields["friendly_name"] != name+"-49" {
			t.Errorf("session %s: friendly_name %v", name, pn.Fields["friendly_name"])
		}
		if n := len(s.Session(name).Requests()); n != 100 {
			t.Errorf("session %s journal has %d entries, want 100", name, n)
		}
	}
	if pn, _ := s.PhoneNumber(sipID); pn.Fields["friendly_name"] != "SF front desk" {
		t.Errorf("default session changed: %v", pn.Fields["friendly_name"])
	}
	if len(s.Session("a").Faults()) != 0 {
		t.Errorf("session a sees b's fault")
	}
	got := serve(t, s, req{method: "GET", path: "/__admin/phone-numbers?session=a"}, false)
	if !strings.Contains(got.body, `"friendly_name":"a-49"`) {
		t.Errorf("admin ?session=a: %s", got.body)
	}
	// Reset clears that session's state, faults and journal only.
	serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/reset?session=b"}, false)
	if len(s.Session("b").Faults()) != 0 || len(s.Session("b").Requests()) != 0 {
		t.Errorf("reset left faults or journal in b")
	}
	if pn, _ := s.Session("a").PhoneNumber(sipID); pn.Fields["friendly_name"] != "a-49" {
		t.Errorf("reset of b changed a")
	}
}

func TestSessionsAreBounded(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxSessions: 3})
	for i := 0; i < 10; i++ {
		s.Session(fmt.Sprint(i))
	}
	if n := len(s.SessionNames()); n != 3 {
		t.Errorf("%d sessions kept, want 3", n)
	}
}

func TestAdminFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	got := serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/faults", body: []byte(`{"status":500,"times":2,"match":{"phone_number_id":"` + sipID + `"}}`)}, false)
	var added FaultRule
	if got.status != 201 || json.Unmarshal([]byte(got.body), &added) != nil || added.ID != "f1" {
		t.Fatalf("POST: %d %s", got.status, got.body)
	}
	serve(t, s, patch(sipID, `{}`), false)
	got = serve(t, s, req{method: "GET", path: "/__admin/faults"}, false)
	if !strings.Contains(got.body, `"matched":1,"fired":1,"remaining":1`) {
		t.Errorf("GET: %s", got.body)
	}
	if got := serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/faults", body: []byte(`{"status":503}`)}, false); got.status != 400 || !strings.Contains(got.body, "off_document") {
		t.Errorf("off-document POST: %d %s", got.status, got.body)
	}
	if got := serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/faults", body: []byte(`{"stauts":500}`)}, false); got.status != 400 || !strings.Contains(got.body, "unknown field") {
		t.Errorf("typo POST: %d %s", got.status, got.body)
	}
	if got := serve(t, s, req{method: "DELETE", path: "/__admin/faults/f9"}, false); got.status != 404 {
		t.Errorf("DELETE unknown: %d", got.status)
	}
	if got := serve(t, s, req{method: "DELETE", path: "/__admin/faults/f1"}, false); got.status != 204 || len(s.Session("").Faults()) != 0 {
		t.Errorf("DELETE f1: %d", got.status)
	}
	addFault(t, s, "", FaultRule{Status: 500})
	if got := serve(t, s, req{method: "DELETE", path: "/__admin/faults"}, false); got.status != 204 || len(s.Session("").Faults()) != 0 {
		t.Errorf("DELETE all: %d", got.status)
	}
}

func TestStates(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	post := func(session, body string) (int, map[string]any) {
		r := req{method: "POST", contentType: "application/json", path: "/__admin/states?session=" + session, body: []byte(body)}
		got := serve(t, s, r, false)
		var vars map[string]any
		_ = json.Unmarshal([]byte(got.body), &vars)
		return got.status, vars
	}
	in := func(session string, r req) req { r.header = http.Header{SessionHeader: {session}}; return r }

	st, vars := post("st", `{"state":"a Twilio number exists","params":{"friendly_name":"Ops","twilio_auth_token":null}}`)
	id, _ := vars["phone_number_id"].(string)
	if st != 200 || len(id) != 24 || vars["provider"] != "twilio" {
		t.Fatalf("twilio state: %d %v", st, vars)
	}
	got := serve(t, s, in("st", patch(id, `{}`)), false)
	if !strings.Contains(got.body, `"friendly_name":"Ops"`) || !strings.Contains(got.body, `"twilio_auth_token":null`) || !strings.Contains(got.body, `"provider":"twilio"`) {
		t.Errorf("created number: %s", got.body)
	}
	for _, name := range []string{"a SIP number exists", "a Pia number exists"} {
		if st, vars := post("st", `{"state":"`+name+`"}`); st != 200 || vars["phone_number_id"] == id {
			t.Errorf("%s: %d %v", name, st, vars)
		}
	}
	_, free := post("st", `{"state":"no phone number has the id"}`)
	if got := serve(t, s, in("st", patch(free["phone_number_id"].(string), `{}`)), false); got.status != 404 {
		t.Errorf("free id answered %d", got.status)
	}
	_, gone := post("st", `{"state":"no phone number has the id","params":{"phone_number_id":"`+sipID+`"}}`)
	if gone["phone_number_id"] != sipID || serve(t, s, in("st", patch(sipID, `{}`)), false).status != 404 {
		t.Errorf("named id not made free: %v", gone)
	}
	if st, vars := post("st", `{"state":"the next update fails","params":{"status":422,"phone_number_id":"`+id+`"}}`); st != 200 || vars["fault_id"] == nil {
		t.Fatalf("next update fails: %d %v", st, vars)
	}
	if got := fmt.Sprint(serve(t, s, in("st", patch(piaID, `{}`)), false).status, serve(t, s, in("st", patch(id, `{}`)), false).status, serve(t, s, in("st", patch(id, `{}`)), false).status); got != "200 422 200" {
		t.Errorf("next update fails: %s, want 200 422 200", got)
	}
	if st, _ := post("st", `{"state":"the moon is full"}`); st != 400 {
		t.Errorf("unknown state: %d", st)
	}
	if st, _ := post("st", `{"state":"a SIP number exists","params":{"sip_infra_region":"mars"}}`); st != 400 {
		t.Errorf("bad param value: %d", st)
	}
	if st, _ := post("st", `{"state":"a Pia number exists","params":{"sip_trunk_username":"u"}}`); st != 400 {
		t.Errorf("param of another provider: %d", st)
	}
	if st, _ := post("st", `{"state":"the next update fails","params":{"status":418}}`); st != 400 {
		t.Errorf("undocumented status: %d", st)
	}
	got = serve(t, s, req{method: "GET", path: "/__admin/states"}, false)
	for _, name := range []string{"a SIP number exists", "a Pia number exists", "a Twilio number exists", "no phone number has the id", "the next update fails"} {
		if !strings.Contains(got.body, `"name":"`+name+`"`) {
			t.Errorf("GET /__admin/states lacks %q", name)
		}
	}
	// Nothing leaked into the default session.
	if n := len(s.PhoneNumbers()); n != 7 {
		t.Errorf("default session has %d numbers", n)
	}
}

func TestStatePhoneNumberStored(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	post := func(body string) reply {
		return serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/states?session=stored", body: []byte(body)}, false)
	}
	in := func(r req) req { r.header = http.Header{SessionHeader: {"stored"}}; return r }
	record := `{"_id":"abc","provider":"pia","phone_number":"+15550001111","friendly_name":"Copied","inbound_agent_id":null,"outbound_agent_id":"ag1"}`
	if got := post(`{"state":"the phone number is stored as given","params":` + record + `}`); got.status != 200 || !strings.Contains(got.body, `"phone_number_id":"abc"`) {
		t.Fatalf("store: %d %s", got.status, got.body)
	}
	if got := serve(t, s, in(patch("abc", `{}`)), false); got.status != 200 || got.body != record {
		t.Errorf("stored record reads back as %d %s, want %s", got.status, got.body, record)
	}
	// The same _id again replaces the record; it is not listed twice.
	replaced := strings.Replace(record, "Copied", "Again", 1)
	post(`{"state":"the phone number is stored as given","params":` + replaced + `}`)
	if got := serve(t, s, in(patch("abc", `{}`)), false); got.body != replaced {
		t.Errorf("replaced record reads back as %s", got.body)
	}
	if n := len(s.Session("stored").PhoneNumbers()); n != len(s.PhoneNumbers())+1 {
		t.Errorf("session holds %d numbers, want the seeds plus one", n)
	}
	// A seeded id is replaced in place.
	seeded := `{"_id":"` + sipID + `","provider":"sip","phone_number":"+15550002222"}`
	post(`{"state":"the phone number is stored as given","params":` + seeded + `}`)
	if pn, _ := s.Session("stored").PhoneNumber(sipID); pn.Number != "+15550002222" || pn.Fields["friendly_name"] != nil {
		t.Errorf("seeded number not replaced: %+v", pn.Fields)
	}
	for _, bad := range []string{
		`{"provider":"pia","phone_number":"+15550001111"}`,
		`{"_id":"x","provider":"vonage","phone_number":"+15550001111"}`,
		`{"_id":"x","provider":"pia","phone_number":"+15550001111","sip_trunk_username":"u"}`,
		`{"_id":"x","provider":"pia","phone_number":"not a number"}`,
		`{"_id":"x","provider":"pia","phone_number":"+15550001111","friendly_name":5}`,
	} {
		got := post(`{"state":"the phone number is stored as given","params":` + bad + `}`)
		if got.status != 400 || !strings.Contains(got.body, `"invalid_state_params"`) {
			t.Errorf("%s: %d %s, want 400 invalid_state_params", bad, got.status, got.body)
		}
	}
}

// TestAdminFaultErrors: a rule sent to POST /__admin/faults is refused in the words
// a fault file gets (the field, the problem, the nearest known name), never Go's.
func TestAdminFaultErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	tests := []struct{ name, body, want string }{
		{"a misspelled field", `{"stauts":500}`, `fault rule: line 1: stauts: unknown field; did you mean status?`},
		{"a number as text", `{"status":"500"}`, `fault rule: line 1: status: `},
		{"probability as text", `{"status":500,"probability":"often"}`, `fault rule: line 1: probability: `},
		{"a misspelled method", `{"status":500,"match":{"method":"PTACH"}}`, `match.method: \"PTACH\" is not a method; did you mean PATCH?`},
		{"a misspelled matcher", `{"status":500,"match":{"body":{"x":{"$presnt":true}}}}`, `$present`},
		{"not an object", `[1]`, `fault rule: line 1: got a list`},
		{"not JSON", `{"status":`, `fault rule: not JSON: `},
		{"nothing", ``, `want a rule`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := serve(t, s, req{method: "POST", contentType: "application/json", path: "/__admin/faults", body: []byte(tt.body)}, false)
			if got.status != http.StatusBadRequest || !strings.Contains(got.body, tt.want) {
				t.Errorf("POST %s: %d %s, want 400 with %q", tt.body, got.status, got.body, tt.want)
			}
			checkNoGoWords(t, got.body)
		})
	}
}
