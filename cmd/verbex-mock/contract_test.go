package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/spec"
)

// servedFake is the fake on a loopback port; every answer it sends is checked
// against the document.
func servedFake(t *testing.T, wrap func(http.Handler) http.Handler) (*mock.Server, string) {
	t.Helper()
	fake, err := mock.New(mock.Options{SelfCheck: true, SelfCheckFailed: func(f mock.SelfCheckFailure) {
		t.Errorf("the fake answered %s %s with %d off the document: %v", f.Method, f.Path, f.Status, f.Problems)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return fake, ts.URL
}

// wrongProvider answers every read of a Pia number as if it were a SIP number.
func wrongProvider(fake http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if spec.IsOperation(r.Method, r.URL.Path) {
			body = bytes.Replace(body, []byte(`"provider":"pia"`), []byte(`"provider":"sip"`), 1)
		}
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// TestContractRunOutcomes: what a run's exit code and last lines say (issue 10,
// item 7): nothing that was not checked looks green.
func TestContractRunOutcomes(t *testing.T) {
	t.Parallel()
	// Each run gets a fake of its own: runs without states change the seeded numbers.
	const target, lying = "{target}", "{lying}"
	const sip, pia = "6650a1f2c3d4e5f6a7b8c901", "6650a1f2c3d4e5f6a7b8c904"
	failing := t.TempDir()
	writeFileIn(t, failing, "a-fails.yaml", "name: expects the wrong status\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/"+sip+", json: {}}\n    expect: {status: 201}\n")
	writeFileIn(t, failing, "b-errs.yaml", "name: uses an unknown variable\nsteps:\n  - request: {method: PATCH, path: '/v1/phone-numbers/{{ nobody }}', json: {}}\n    expect: {status: 200}\n")
	capture := t.TempDir()
	writeFileIn(t, capture, "capture.yaml", "name: captures a key that is absent\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/"+sip+", json: {}}\n    expect: {status: 200}\n    capture: {x: body.no_such_key}\n")
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{"a states route that is not there is a usage error with a hint",
			[]string{"contract", "run", "--target", target, "--states", "/admin/states"}, 2, nil,
			[]string{"no provider-state route there (it answered 404)", "Try: --states /__admin/states"}},
		{"skipped scenarios are called out in the last lines",
			[]string{"contract", "run", "--target", target, "--sip-id", sip, "--rate", "0", "--generate", "20", "--seed", "7", "--allow-partial"}, 0,
			[]string{"SKIPPED ", "skipped a server error is 500 in the ErrorResponse shape (server-error.yaml): state \"the next update fails\" needs a provider-state route", "restore " + sip + ": restored"}, nil},
		{"a run that checked nothing of a provider is a usage error",
			[]string{"contract", "run", "--target", target, "--sip-id", sip, "--rate", "0", "--generate", "5", "--seed", "7"}, 2, []string{"SKIPPED "},
			[]string{"a partial run: nothing of a provider was checked: give --id pia=ID --id twilio=ID (or --states ROUTE); --allow-partial accepts it"}},
		{"a run that generated nothing for want of a number is a usage error",
			[]string{"contract", "run", "--target", target, "--rate", "0"}, 2, []string{"generated cases are off"},
			[]string{"give --id pia=ID --id sip=ID --id twilio=ID; no case was generated: give --id PROVIDER=ID"}},
		{"--fail-on-skip makes them a failure",
			[]string{"contract", "run", "--target", target, "--id", "sip=" + sip, "--rate", "0", "--generate", "0", "--fail-on-skip"}, 1, []string{"SKIPPED "},
			[]string{"skipped (--fail-on-skip)"}},
		{"an off-document preflight read is a contract failure",
			[]string{"contract", "run", "--target", lying, "--pia-id", pia, "--rate", "0"}, 1,
			[]string{"FAILED preflight read of the pia number " + pia, `its provider is "sip", not "pia" as given`}, nil},
		{"a failing target wins over a scenario error; ERROR is not cut",
			[]string{"contract", "run", "--target", target, "--scenarios", failing, "--generate", "0", "--rate", "0"}, 1,
			[]string{"ERROR   uses an unknown variable", "0 passed, 1 failed, 0 skipped, 1 errors", "1 scenario errors"}, nil},
		{"a capture of an absent key is a contract failure",
			[]string{"contract", "run", "--target", target, "--scenarios", capture, "--generate", "0", "--rate", "0"}, 1,
			[]string{"capture x: nothing at body.no_such_key"}, nil},
		{"replay runs the one case",
			[]string{"contract", "run", "--target", target, "--states", "/__admin/states", "--replay", "7:12"}, 0,
			[]string{"generated: 1 cases from seed 7", "0 passed, 0 failed, 0 skipped, 0 errors; generated (seed 7): 1 passed, 0 failed"}, nil},
		{"a bad replay", []string{"contract", "run", "--target", target, "--replay", "7"}, 2, nil, []string{`"7": want SEED:INDEX`}},
		{"an unknown provider", []string{"contract", "run", "--target", target, "--id", "fax=1"}, 2, nil, []string{`the document has no provider "fax"`}},
		{"a bad rate", []string{"contract", "run", "--target", target, "--rate", "-1"}, 2, nil, []string{"--rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Clone(tt.args)
			for i, a := range args {
				switch a {
				case target:
					_, args[i] = servedFake(t, nil)
				case lying:
					_, args[i] = servedFake(t, wrongProvider)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr, env())
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s\nstdout: %s", w, stderr.String(), stdout.String())
				}
			}
		})
	}
}

// TestContractRunReports: the JSON and JUnit reports carry every generated case with
// its seed, and the User-Agent names the runner and its version.
func TestContractRunReports(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex // the concurrency probe sends requests at once
	var agents []string
	fake, _ := servedFake(t, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	junit, js := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"contract", "run", "--target", ts.URL, "--states", "/__admin/states", "--parallel", "1",
		"--generate", "25", "--seed", "99", "--junit", junit, "--json", js}, &stdout, &stderr, env())
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	x, _ := os.ReadFile(junit)
	for _, want := range []string{`classname="generated" name="99:24 `, `<property name="seed" value="99"></property>`, `<property name="replay" value="--replay 99:0"></property>`, `name="99:probe concurrency`} {
		if !bytes.Contains(x, []byte(want)) {
			t.Errorf("JUnit lacks %q", want)
		}
	}
	var rep struct {
		Generated struct {
			Seed  uint64
			Cases []struct{ ID, Status string }
		}
	}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Generated.Seed != 99 || len(rep.Generated.Cases) != 26 || rep.Generated.Cases[3].ID != "99:3" {
		t.Errorf("JSON report: %v %+v", err, rep.Generated)
	}
	mu.Lock()
	defer mu.Unlock()
	ua := regexp.MustCompile(`^verbex-mock-contract/\S+$`)
	for _, a := range agents {
		if !ua.MatchString(a) {
			t.Fatalf("User-Agent %q", a)
		}
	}
	if len(agents) == 0 {
		t.Fatal("no request reached the target")
	}
}
