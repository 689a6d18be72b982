package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/spec"
)

// TestConcurrentPatchesKeepEveryField: many goroutines PATCH different fields of one
// number at once; afterwards every field holds the last value its writer sent.
func TestConcurrentPatchesKeepEveryField(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{JournalSize: -1})
	fields := []string{"friendly_name", "inbound_agent_id", "outbound_agent_id", "sip_termination_uri", "sip_trunk_username", "sip_trunk_password"}
	const writes = 200
	var wg sync.WaitGroup
	for _, f := range fields {
		for w := 0; w < 2; w++ { // two writers per field: one sets, one reads it back with {}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < writes; i++ {
					body := `{}`
					if w == 0 {
						body = fmt.Sprintf(`{%q:"%s-%d"}`, f, f, i)
					}
					if got := serve(t, s, patch(sipID, body), false); got.status != http.StatusOK {
						t.Errorf("status %d", got.status)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	pn, _ := s.PhoneNumber(sipID)
	for _, f := range fields {
		if got, want := pn.Fields[f], fmt.Sprintf("%s-%d", f, writes-1); got != want {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	big := `{"friendly_name":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	got := serve(t, s, patch(sipID, big), true)
	if got.status != http.StatusRequestEntityTooLarge || got.body != `{"error":"request_too_large","message":"The request body is larger than 1048576 bytes."}` {
		t.Errorf("got %d %s", got.status, got.body)
	}
	if pn, _ := s.PhoneNumber(sipID); pn.Fields["friendly_name"] != "SF front desk" {
		t.Errorf("friendly_name changed to %v", pn.Fields["friendly_name"])
	}
	if got := serve(t, s, patch(sipID, `{"friendly_name":"after"}`), false); got.status != http.StatusOK {
		t.Errorf("next request: %d", got.status)
	}
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

func TestPanicIsRecovered(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := newServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/"+sipID, panicReader{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	want := `{"error":"internal_error","message":"An unexpected error occurred in verbex-mock; see its log."}`
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != want {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if problems := s.Document().CheckResponse("PATCH", r.URL.Path, rec.Code, rec.Header(), rec.Body.Bytes()); problems != nil {
		t.Errorf("500 is off the document: %v", problems)
	}
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
	if got := serve(t, s, patch(sipID, `{}`), false); got.status != http.StatusOK {
		t.Errorf("after the panic: %d", got.status)
	}
}

func TestBadFixtures(t *testing.T) {
	t.Parallel()
	rec := func(extra string) string {
		return "phone_numbers:\n  - _id: a1\n    provider: sip\n    phone_number: \"+14155550199\"\n" + extra
	}
	tests := []struct {
		name   string
		data   string
		line   int
		record int
		want   string
	}{
		{"not YAML", "phone_numbers: [", 0, 0, "yaml"},
		{"not a mapping", "- a\n- b\n", 0, 0, `want a mapping with a "phone_numbers" list`},
		{"unknown key", "numbers: []\n", 1, 0, `unknown key "numbers"`},
		{"not a list", "phone_numbers: {}\n", 1, 0, `"phone_numbers" must be a list`},
		{"unknown field", rec("    colour: red\n"), 5, 1, `field "colour": not declared by GetSIPPhoneNumberResponse`},
		{"wrong type", rec("    friendly_name: 5\n"), 5, 1, `field "friendly_name": got number, want null or string`},
		{"bad enum", rec("    sip_infra_region: mars\n"), 5, 1, `field "sip_infra_region": "mars" is not one of 'global', 'bd' or 'bd_link3'`},
		{"unknown provider", "phone_numbers:\n  - _id: a1\n    provider: vonage\n    phone_number: \"+14155550199\"\n", 3, 1, `field "provider": "vonage" is not one of sip, pia, twilio`},
		{"no provider", "phone_numbers:\n  - _id: a1\n    phone_number: \"+14155550199\"\n", 2, 1, `field "provider": missing`},
		{"missing phone_number", "phone_numbers:\n  - _id: a1\n    provider: pia\n", 2, 1, `field "phone_number": required by GetPiaPhoneNumberResponse but missing`},
		{"phone number as YAML int", "phone_numbers:\n  - _id: a1\n    provider: pia\n    phone_number: +14155550199\n", 4, 1, `field "phone_number": got number, want string`},
		{"not E.164", "phone_numbers:\n  - _id: a1\n    provider: pia\n    phone_number: \"415-555\"\n", 4, 1, `not an E.164 number`},
		{"empty id", "phone_numbers:\n  - _id: \"\"\n    provider: pia\n    phone_number: \"+14155550199\"\n", 2, 1, `field "_id": want a non-empty string`},
		{"duplicate id", rec("  - _id: a1\n    provider: pia\n    phone_number: \"+14155550198\"\n"), 5, 2, `field "_id": duplicate of record 1`},
		{"record not an object", "phone_numbers:\n  - 5\n", 2, 1, "got number, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{Fixtures: []byte(tt.data), FixturesName: "numbers.yaml"})
			var fe *FixtureError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want *FixtureError", err)
			}
			if fe.File != "numbers.yaml" || fe.Line != tt.line || fe.Record != tt.record || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q (line %d, record %d), want line %d, record %d, containing %q", err, fe.Line, fe.Record, tt.line, tt.record, tt.want)
			}
		})
	}
}

func TestBadSpec(t *testing.T) {
	t.Parallel()
	_, err := New(Options{Spec: []byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n"), SpecName: "v2.yaml"})
	if !errors.Is(err, spec.ErrInvalid) || !strings.HasPrefix(err.Error(), "v2.yaml: ") {
		t.Errorf("error %v, want spec.ErrInvalid naming v2.yaml", err)
	}
}

// TestEmbeddedFixtures checks the default data is what the README promises.
func TestEmbeddedFixtures(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	byProvider := map[string]int{}
	regions := map[any]bool{}
	withAgent, without := 0, 0
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, pn := range s.PhoneNumbers() {
		byProvider[pn.Provider]++
		if !hex24.MatchString(pn.ID) || !e164.MatchString(pn.Number) {
			t.Errorf("%s %s: want a 24-hex id and an E.164 number", pn.ID, pn.Number)
		}
		if pn.Provider == "sip" {
			regions[pn.Fields["sip_infra_region"]] = true
		}
		if pn.Fields["inbound_agent_id"] != nil {
			withAgent++
		} else {
			without++
		}
	}
	for _, p := range []string{"sip", "pia", "twilio"} {
		if byProvider[p] < 2 {
			t.Errorf("%d %s numbers, want at least 2", byProvider[p], p)
		}
	}
	if len(regions) < 2 || withAgent == 0 || without == 0 {
		t.Errorf("regions %v, with agent %d, without %d", regions, withAgent, without)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	ids := func(seed uint64) []string {
		s := newServer(t, Options{Generate: 30, Seed: seed})
		var out []string
		for _, pn := range s.PhoneNumbers() {
			out = append(out, pn.ID+"/"+pn.Number+"/"+fmt.Sprint(pn.Fields["friendly_name"]))
			if problems := s.Document().CheckResponse("PATCH", "/v1/phone-numbers/"+pn.ID, 200, http.Header{"Content-Type": {"application/json"}}, pn.JSON); problems != nil {
				t.Errorf("generated %s is off the document: %v", pn.JSON, problems)
			}
		}
		return out
	}
	a, b, c := ids(0), ids(0), ids(42)
	if len(a) != 37 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed gave different numbers:\n%v\n%v", a, b)
	}
	if strings.Join(a[7:], ",") == strings.Join(c[7:], ",") {
		t.Errorf("different seeds gave the same numbers")
	}
}

func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	get := func(path string) reply { return serve(t, s, req{method: http.MethodGet, path: path}, false) }
	if got := get("/__admin/health"); got.status != 200 || got.body != `{"status":"ok"}` {
		t.Errorf("health: %d %s", got.status, got.body)
	}
	if got := get("/openapi.json"); got.status != 200 || got.body != string(s.Document().JSON) {
		t.Errorf("openapi.json: %d", got.status)
	}
	serve(t, s, patch(piaID, `{"friendly_name":"changed"}`), false)
	var list struct {
		PhoneNumbers []json.RawMessage `json:"phone_numbers"`
	}
	if err := json.Unmarshal([]byte(get("/__admin/phone-numbers").body), &list); err != nil || len(list.PhoneNumbers) != 7 {
		t.Fatalf("list: %v, %d numbers", err, len(list.PhoneNumbers))
	}
	if !strings.Contains(string(list.PhoneNumbers[3]), `"friendly_name":"changed"`) || string(list.PhoneNumbers[0]) != sipRecord {
		t.Errorf("list does not render records as the API does: %s / %s", list.PhoneNumbers[3], list.PhoneNumbers[0])
	}
	// The listing is a fixtures file: it loads back unchanged.
	again := newServer(t, Options{Fixtures: []byte(get("/__admin/phone-numbers").body)})
	if pn, _ := again.PhoneNumber(piaID); pn.Fields["friendly_name"] != "changed" {
		t.Errorf("round trip lost the change: %v", pn.Fields)
	}
	if got := serve(t, s, req{method: http.MethodPost, contentType: "application/json", path: "/__admin/reset"}, false); got.status != 204 || got.body != "" {
		t.Errorf("reset: %d %s", got.status, got.body)
	}
	if pn, _ := s.PhoneNumber(piaID); pn.Fields["friendly_name"] != "London sales" {
		t.Errorf("reset did not restore: %v", pn.Fields["friendly_name"])
	}
	if got := serve(t, s, req{method: http.MethodDelete, path: "/__admin/reset"}, false); got.status != 405 || got.header.Get("Allow") != "POST" {
		t.Errorf("DELETE reset: %d Allow %q", got.status, got.header.Get("Allow"))
	}
}

func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := newServer(t, Options{}), newServer(t, Options{})
	serve(t, a, patch(sipID, `{"friendly_name":"only a"}`), false)
	if pn, _ := b.PhoneNumber(sipID); pn.Fields["friendly_name"] != "SF front desk" {
		t.Errorf("b sees a's change: %v", pn.Fields["friendly_name"])
	}
}

// TestSelfCheck: with a document the fake has drifted from (its 404 now requires a
// "code"), the self-check warns and calls the hook; answers off the document on
// purpose (an off_document fault, the framework's 400) are not reported.
func TestSelfCheck(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(fixtures.OpenAPI()), "      required:\n        - error\n        - message\n", "      required:\n        - error\n        - message\n        - code\n", 1)
	var logs bytes.Buffer
	var mu sync.Mutex
	var failures []SelfCheckFailure
	s := newServer(t, Options{Spec: []byte(doc), SelfCheck: true, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		SelfCheckFailed: func(f SelfCheckFailure) { mu.Lock(); failures = append(failures, f); mu.Unlock() }})
	serve(t, s, patch(sipID, `{"friendly_name":"x"}`), false)
	serve(t, s, patch(sipID, `{"friendly_name":1}`), false)
	serve(t, s, req{method: "GET", path: "/v1/phone-numbers/" + sipID}, false)
	serve(t, s, req{method: "PATCH", path: "/v1/phone-numbers/" + sipID, contentType: "application/json", body: []byte{0xff}}, true)
	if _, err := s.Session("").AddFault(FaultRule{Status: 418, Body: []byte(`{"teapot":true}`), OffDocument: true, Times: 1}); err != nil {
		t.Fatal(err)
	}
	serve(t, s, patch(sipID, `{}`), true)
	if logs.Len() != 0 || len(failures) != 0 {
		t.Fatalf("on-document or deliberate answers were reported: %v\n%s", failures, logs.String())
	}
	r := serve(t, s, patch(unknown, `{}`), true) // the fake's 404 lacks the drifted "code"
	if r.status != 404 || len(failures) != 1 || failures[0].Status != 404 || !strings.Contains(failures[0].Problems[0], "code") {
		t.Fatalf("drift not reported: %+v", failures)
	}
	if !strings.Contains(logs.String(), "response is off the document") {
		t.Errorf("drift not logged: %s", logs.String())
	}
}

// TestEmbeddedSpecIsTheSeed: the embedded document is the seed's YAML, unchanged.
func TestEmbeddedSpecIsTheSeed(t *testing.T) {
	t.Parallel()
	seed, err := readSeed()
	if errors.Is(err, fs.ErrNotExist) {
		// A user's clone has no ../shared: only the team's checkouts and CI compare.
		t.Skipf("shared seed not beside the repository: %v", err)
	}
	if err != nil {
		t.Fatalf("reading the shared seed: %v", err) // present but unreadable or changed shape
	}
	if !bytes.Equal(seed, fixtures.OpenAPI()) {
		t.Errorf("fixtures/openapi.yaml differs from the seed's YAML block")
	}
}

// TestDebugLogsCarryNoSecrets: one line per request at debug level with method, path,
// status, duration and session, and never a body, token or password.
func TestDebugLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := newServer(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	r := withHeader(patch(sipID, `{"sip_trunk_password":"hunter2","twilio_auth_token":"tok-9"}`), "Authorization", "Bearer sk_live_123", SessionHeader, "s1")
	serve(t, s, r, false)
	out := logs.String()
	for _, secret := range []string{"hunter2", "tok-9", "sk_live_123"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q: %s", secret, out)
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &line); err != nil {
		t.Fatalf("want exactly one JSON line: %v\n%s", err, out)
	}
	for _, k := range []string{"method", "path", "status", "duration", "session"} {
		if _, ok := line[k]; !ok {
			t.Errorf("request log lacks %q: %v", k, line)
		}
	}
	if line["session"] != "s1" || line["status"] != float64(200) {
		t.Errorf("request log %v", line)
	}
}
