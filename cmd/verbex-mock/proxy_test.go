package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract/drift"
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/spec"
)

func patch(t *testing.T, url, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rec map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &rec)
	return resp.StatusCode, rec
}

// TestProxyRecordsFixturesTheFakeServes: the proxy in front of the fake sees no
// drift, reports on SIGTERM, and records the numbers it saw as fixtures that serve
// --fixtures loads, with every credential a placeholder.
func TestProxyRecordsFixturesTheFakeServes(t *testing.T) {
	t.Parallel()
	fake, upstream := servedFake(t, nil)
	dir := t.TempDir()
	record, report := filepath.Join(dir, "recorded.json"), filepath.Join(dir, "drift.json")
	const token = "tok-cmd-very-secret"
	p := startChild(t, "proxy", "--addr", "127.0.0.1:0", "--upstream", upstream, "--record", record, "--json", report, "--token", token, "--fail-on-drift")
	auth := http.Header{"Authorization": {"Bearer " + token}}
	ids := fake.SeededIDs()
	sip := ids["sip"][0]
	exchanges := 0
	for _, p2 := range fake.Document().ProviderNames() {
		for _, id := range ids[p2] {
			if status, _ := patch(t, p.url+"/v1/phone-numbers/"+id, `{}`, auth); status != 200 {
				t.Fatalf("read %s through the proxy: %d", id, status)
			}
			exchanges++
		}
	}
	status, rec := patch(t, p.url+"/v1/phone-numbers/"+sip, `{"sip_trunk_password":"new-pw-very-secret","friendly_name":"Recorded"}`, auth)
	exchanges++
	if status != 200 || rec["sip_trunk_password"] != "new-pw-very-secret" {
		t.Fatalf("update through the proxy: %d %v", status, rec)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, p.stderr.String())
	}
	var rep drift.DriftReport
	b, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("report: %v %s", err, b)
	}
	if rep.Exchanges != exchanges || rep.Drifted != 0 || rep.Equal != exchanges {
		t.Errorf("report: %s", rep.Summary())
	}
	if want := rep.Summary() + "\n"; !strings.HasSuffix(p.stderr.String(), want) {
		t.Errorf("stderr does not end with %q:\n%s", want, p.stderr.String())
	}
	if p.stdout.Len() != 0 {
		t.Errorf("stdout with --json: %s", p.stdout.String())
	}
	fixtures, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	// Readable by another user (the image's), as a file a person saves would be.
	for _, f := range []string{record, report} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v %v, want 0644", f, fi.Mode().Perm(), err)
		}
	}
	for _, secret := range []string{token, "new-pw-very-secret", "s3cr3t"} {
		if bytes.Contains(fixtures, []byte(secret)) || strings.Contains(p.stderr.String(), secret) || bytes.Contains(b, []byte(secret)) {
			t.Errorf("%q is in the fixtures, the report or the log", secret)
		}
	}
	// The fake serves them.
	url := startChild(t, "serve", "--addr", "127.0.0.1:0", "--fixtures", record, "--self-check").url
	status, got := patch(t, url+"/v1/phone-numbers/"+sip, `{}`, nil)
	if status != 200 || got["friendly_name"] != "Recorded" || got["sip_trunk_password"] != "placeholder-sip_trunk_password" {
		t.Errorf("the recorded number served: %d %v", status, got)
	}
	resp, err := http.Get(url + "/__admin/phone-numbers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		PhoneNumbers []map[string]any `json:"phone_numbers"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	if len(list.PhoneNumbers) != exchanges-1 {
		t.Errorf("serve --fixtures has %d numbers, want the %d recorded", len(list.PhoneNumbers), exchanges-1)
	}
}

// TestProxyFailOnDrift: with --fail-on-drift, drift exits 1, after the drift by rule
// and the JSON report (stdout without --json).
func TestProxyFailOnDrift(t *testing.T) {
	t.Parallel()
	// A service that ignores null: it never clears a field.
	_, upstream := servedFake(t, func(fake http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if spec.IsOperation(r.Method, r.URL.Path) {
				b, _ := io.ReadAll(r.Body)
				b = bytes.ReplaceAll(b, []byte(`"outbound_agent_id":null`), []byte(`"outbound_agent_id":"kept"`))
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			body := bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"outbound_agent_id":"kept"`), []byte(`"outbound_agent_id":"6650a0e1b2c3d4e5f6a7b802"`))
			w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	})
	p := startChild(t, "proxy", "--addr", "127.0.0.1:0", "--upstream", upstream, "--fail-on-drift")
	if status, _ := patch(t, p.url+"/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", `{"outbound_agent_id":null}`, nil); status != 200 {
		t.Fatalf("status %d", status)
	}
	if code := p.stop(t); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, p.stderr.String())
	}
	var rep drift.DriftReport
	if err := json.Unmarshal(p.stdout.Bytes(), &rep); err != nil || rep.Drifted != 1 || len(rep.Rules) != 1 || rep.Rules[0].Rule != judge.RuleUpdate {
		t.Fatalf("stdout: %v %s", err, p.stdout.String())
	}
	for _, want := range []string{`"level":"WARN","msg":"drift","rule":"update semantics"`, "DRIFT update semantics: 1", "curl -sS -i --path-as-is -g -X PATCH", "1 exchanges, 1 compared, 1 drifted"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
		}
	}
}

// TestWriteFileAtomicMode: what the proxy writes on exit is 0644 whatever the umask
// allows more of, and a failed write leaves no file behind.
func TestWriteFileAtomicMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "recorded.yaml")
	if err := writeFileAtomic(name, func(w io.Writer) error { _, err := io.WriteString(w, "phone_numbers: []\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v %v, want 0644", fi.Mode().Perm(), err)
	}
	failed := filepath.Join(dir, "failed.yaml")
	if err := writeFileAtomic(failed, func(io.Writer) error { return io.ErrShortWrite }); err == nil {
		t.Error("a failed write reported no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the folder, want only the one written", len(entries))
	}
}
