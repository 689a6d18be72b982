package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
	"github.com/verbex/verbex-mock/scenarios"
)

func TestUnreachableTarget(t *testing.T) {
	t.Parallel()
	for _, target := range []string{mocktest.Unresponsive(t), "http://127.0.0.1:1"} {
		_, err := contract.Run(context.Background(), contract.Config{Target: target, Timeout: 300 * time.Millisecond})
		if !errors.Is(err, contract.ErrUnreachable) {
			t.Errorf("%s: error %v, want ErrUnreachable", target, err)
		}
	}
}

// servedFake starts the fake on a loopback port and returns its numbers as they start.
func servedFake(t *testing.T) (*mock.Server, *httptest.Server, []mock.PhoneNumber) {
	t.Helper()
	fake := newFake(t)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, ts, fake.PhoneNumbers()
}

// assertRestored: every phone number is back as it was.
func assertRestored(t *testing.T, before, after []mock.PhoneNumber) {
	t.Helper()
	for i := range before {
		if string(before[i].JSON) != string(after[i].JSON) {
			t.Errorf("not restored:\n before %s\n after  %s", before[i].JSON, after[i].JSON)
		}
	}
}

func TestScenarioErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
	}{
		{"unknown key", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expcet: {status: 200}\n", `bad.yaml:4: unknown key "expcet" in step`},
		{"no status", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {}\n", "bad.yaml:3: step 1: expect.status is required"},
		{"bad matcher", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {status: 200, body: {a: {$regexp: x}}}\n", "bad.yaml:4: body: a: unknown matcher $regexp (did you mean $regex?)"},
		{"bad regex", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {status: 200, body: {a: {$regex: '('}}}\n", "bad.yaml:4: body: a: $regex"},
		{"bad capture", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {status: 200}\n    capture: {x: response.body}\n", "bad.yaml:5: capture x"},
		{"yaml syntax", "name: x\nsteps: [\n", "bad.yaml:3:"},
		{"no name", "steps: []\n", "bad.yaml:1: a scenario needs a name"},
		{"invalid request not marked", "name: x\nsteps:\n  - name: typo\n    request: {method: PATCH, path: /v1/phone-numbers/a, json: {friendly_name: 5}}\n    expect: {status: 422}\n", "bad.yaml:3: typo: request is off the document but not marked invalid"},
		{"GET not marked", "name: x\nsteps:\n  - request: {method: GET, path: /v1/phone-numbers/a}\n    expect: {status: 405}\n", "not the document's operation"},
		{"wrong content type not marked", "name: x\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, content_type: text/plain, raw: '{}'}\n    expect: {status: 422}\n", "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := contract.LoadFS(fstest.MapFS{"bad.yaml": {Data: []byte(tt.file)}})
			if err == nil {
				var scs []*contract.Scenario
				scs, _ = contract.LoadFS(fstest.MapFS{"bad.yaml": {Data: []byte(tt.file)}})
				_, err = contract.Run(context.Background(), contract.Config{Scenarios: scs, DryRun: true})
			}
			var se *contract.ScenarioError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a ScenarioError containing %q", err, tt.want)
			}
		})
	}
}

// TestRealServiceMode drives the fake as if it were the real service: no states
// route, three named numbers, a token. Scenarios needing faults are skipped with the
// reason, the numbers are restored, and no secret reaches any report.
func TestRealServiceMode(t *testing.T) {
	t.Parallel()
	fake, ts, before := servedFake(t)
	const token = "vbx_live_supersecret"
	rep, err := contract.Run(context.Background(), contract.Config{
		Target: ts.URL, Token: token,
		SIPID: "6650a1f2c3d4e5f6a7b8c901", PiaID: "6650a1f2c3d4e5f6a7b8c904", TwilioID: "6650a1f2c3d4e5f6a7b8c906",
	})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text)
	if !rep.OK() || rep.Passed < 14 {
		t.Fatalf("real-service mode:\n%s", text.String())
	}
	skipped := map[string]string{}
	for _, s := range rep.Scenarios {
		if s.Status == contract.StatusSkipped {
			skipped[s.File] = s.Reason
		}
	}
	if !strings.Contains(skipped["server-error.yaml"], "needs a provider-state route") {
		t.Errorf("server-error.yaml: %q, want skipped for lack of states", skipped["server-error.yaml"])
	}
	assertRestored(t, before, fake.PhoneNumbers())
	if len(rep.Restored) != 3 || !strings.HasSuffix(rep.Restored[0], "restored") {
		t.Errorf("restored %v", rep.Restored)
	}
	for _, entry := range fake.Session("").Requests() {
		if got := entry.Header.Get("Authorization"); got != mock.Redacted {
			t.Fatalf("the fake did not receive the token as a redacted bearer: %q", got)
		}
	}
}

// TestRestoreAfterCancel: a run stopped half-way (Ctrl-C) still restores the numbers.
func TestRestoreAfterCancel(t *testing.T) {
	t.Parallel()
	fake, ts, before := servedFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancelAfterFirst := writerFunc(func(p []byte) (int, error) { cancel(); return len(p), nil })
	rep, err := contract.Run(ctx, contract.Config{Target: ts.URL, SIPID: "6650a1f2c3d4e5f6a7b8c901", PiaID: "6650a1f2c3d4e5f6a7b8c904", Progress: cancelAfterFirst})
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("error %v, want context.Canceled with a report", err)
	}
	assertRestored(t, before, fake.PhoneNumbers())
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestReportsAreRedacted: a failing run's text, JSON and JUnit reports carry the
// differences and a curl line, and never a secret.
func TestReportsAreRedacted(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	const token = "vbx_live_supersecret"
	// A fake whose validation is broken, so that the SIP scenario with credentials fails.
	broken := mutant(fake, nil, func(r *http.Request, a *answer) {
		if a.status == 200 {
			a.body = bytes.Replace(a.body, []byte(`"After"`), []byte(`"Wrong"`), 1)
		}
	})
	rep, err := contract.Run(context.Background(), contract.Config{Handler: broken, States: "/__admin/states", Token: token, Run: regexp.MustCompile("SIP number answers 200")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || len(rep.Scenarios) != 1 {
		t.Fatalf("report %+v", rep.Summary())
	}
	var text, js, junit bytes.Buffer
	_ = rep.WriteText(&text)
	_ = rep.WriteJSON(&js)
	_ = rep.WriteJUnit(&junit)
	for name, out := range map[string]string{"text": text.String(), "json": js.String(), "junit": junit.String()} {
		for _, secret := range []string{token, "trunk-pass"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s report contains %q", name, secret)
			}
		}
	}
	for _, want := range []string{`$.friendly_name: expected "After", got "Wrong"`, "reproduce:     ", "| curl -sS -i --path-as-is -g -X PATCH", `'Authorization: Bearer '"$VERBEX_API_KEY"`, `"sip_trunk_password":"[REDACTED]"`, "0 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var parsed struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &parsed); err != nil || parsed.Tests != 1 || parsed.Failures != 1 || parsed.Cases[0].Failure == nil {
		t.Errorf("JUnit: %v %+v", err, parsed)
	}
	var back contract.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Failed != 1 {
		t.Errorf("JSON: %v", err)
	}
}

func TestDryRunAndFilters(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	rep, err := contract.Run(context.Background(), contract.Config{Handler: fake, States: "/__admin/states", DryRun: true, Tags: []string{"routing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scenarios) != 3 || rep.Skipped != 3 || !strings.HasPrefix(rep.Scenarios[0].Reason, "dry run") {
		t.Errorf("dry run with tag routing: %+v", rep.Scenarios)
	}
	if n := len(fake.Session("").Requests()); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
	rep, err = contract.Run(context.Background(), contract.Config{Handler: fake, States: "/__admin/states", Run: regexp.MustCompile("^a path no route")})
	if err != nil || rep.Passed != 1 || len(rep.Scenarios) != 1 {
		t.Errorf("--run: %v %+v", err, rep)
	}
}

// TestTimeBudget: once --max-duration has passed nothing more starts, and the report
// says what was skipped and why.
func TestTimeBudget(t *testing.T) {
	t.Parallel()
	rep, err := contract.Run(context.Background(), contract.Config{Handler: newFake(t), States: "/__admin/states", Oracle: newOracle(t), MaxDuration: time.Nanosecond, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	if rep.Passed != 0 || rep.Skipped != len(rep.Scenarios) || rep.Generated.Skipped != len(rep.Generated.Cases) || !rep.OK() {
		t.Fatalf("%s", out.String())
	}
	for _, want := range []string{"SKIPPED ", "the time budget (--max-duration) was spent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDryRunPlan: a dry run says, per scenario, what it would send (method, path,
// the body's keys) or why it would be skipped, and sends nothing.
func TestDryRunPlan(t *testing.T) {
	t.Parallel()
	rep, err := contract.Run(context.Background(), contract.Config{Target: "http://127.0.0.1:1", SIPID: "6650a1f2c3d4e5f6a7b8c901", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range rep.Scenarios {
		reasons[s.File] = s.Reason
	}
	for file, want := range map[string]string{
		"sip-update.yaml":         "dry run: would send PATCH /v1/phone-numbers/{{ sip.phone_number_id }} {",
		"duplicate-keys.yaml":     "(raw, ",
		"pia-update.yaml":         `dry run: would be skipped: state "a Pia number exists" needs a pia number: give --id pia=ID`,
		"server-error.yaml":       `dry run: would be skipped: state "the next update fails" needs a provider-state route (--states)`,
		"method-not-allowed.yaml": "GET /v1/phone-numbers/{{ sip.phone_number_id }} (no body)",
	} {
		if !strings.Contains(reasons[file], want) {
			t.Errorf("%s: %q, want it to contain %q", file, reasons[file], want)
		}
	}
}

// TestScenarioErrorsInOnePass: every bad file is reported by one load.
func TestScenarioErrorsInOnePass(t *testing.T) {
	t.Parallel()
	_, err := contract.LoadFS(fstest.MapFS{
		"a.yaml": {Data: []byte("name: a\nstpes: []\n")},
		"b.yaml": {Data: []byte("name: b\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {}\n")},
		"c.yaml": {Data: []byte("name: a\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {status: 404}\n")},
		"d.yaml": {Data: []byte("name: a\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/a, json: {}}\n    expect: {status: 404}\n")},
	})
	for _, want := range []string{`a.yaml:2: unknown key "stpes"`, "b.yaml:3: step 1: expect.status is required", `d.yaml:1: scenario name "a" is also used by c.yaml`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}

// TestStatusMismatchPrintedOnce: the text report says a wrong status once.
func TestStatusMismatchPrintedOnce(t *testing.T) {
	t.Parallel()
	scs, err := contract.LoadFS(fstest.MapFS{"s.yaml": {Data: []byte("name: wrong status\ngiven: [{state: a SIP number exists, as: sip}]\nsteps:\n  - request: {method: PATCH, path: '/v1/phone-numbers/{{ sip.phone_number_id }}', json: {friendly_name: x}}\n    expect: {status: 404}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := contract.Run(context.Background(), contract.Config{Handler: newFake(t), States: "/__admin/states", Scenarios: scs, Generate: -1})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text)
	// Count the mismatch, not "404": the target's port may contain those digits.
	if n := strings.Count(text.String(), "expected 404"); rep.Failed != 1 || n != 1 {
		t.Errorf("the status mismatch appears %d times, want once:\n%s", n, text.String())
	}
}

// TestNamedNumberWithReservedCharacter: on a target without states, the number named
// is read (snapshot), changed and restored through the same escaped path, however
// its id is spelled.
func TestNamedNumberWithReservedCharacter(t *testing.T) {
	t.Parallel()
	const id = "sip 1?#%x"
	fixtures := "phone_numbers:\n  - _id: \"" + id + "\"\n    provider: sip\n    phone_number: \"+14155550101\"\n    sip_trunk_password: s3cr3t\n"
	fake, err := mock.New(mock.Options{Fixtures: []byte(fixtures), JournalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	paths := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && strings.Contains(r.RequestURI, "sip") {
			mu.Lock()
			paths[r.RequestURI]++
			mu.Unlock()
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	scs, err := contract.LoadFS(scenarios.FS)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := contract.Run(context.Background(), contract.Config{Target: ts.URL, SIPID: id, Scenarios: scs, Generate: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Restored) != 1 || rep.Restored[0] != id+": restored" {
		t.Errorf("restored %q", rep.Restored)
	}
	want := "/v1/phone-numbers/" + url.PathEscape(id)
	if len(paths) != 1 || paths[want] < 2 {
		t.Errorf("PATCH paths %v; want every one to be %s (snapshot and restore at least)", paths, want)
	}
}
