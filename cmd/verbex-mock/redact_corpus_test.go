package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/spec"
)

// corpusMark starts every secret of the corpus: a secret is corpusMark and the
// placement's number, so that a leak found names the placement that leaked it.
const corpusMark = "zq7Corpus"

// corpusToken is the API key given to the runner and the proxy.
const corpusToken = "zq7CorpusToken-api-key"

func corpusSecret(i int) string { return fmt.Sprintf("%s%02dSecret", corpusMark, i) }

// placement is one way an application (or a test) sends a secret.
type placement struct {
	name, query, contentType, body string
	header                         http.Header
}

// secretHeaderNames are the header names a secret is sent under.
var secretHeaderNames = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "Api-Key", "apikey", "Token",
	"X-Auth", "X-Auth-Token", "X-Forwarded-Authorization", "X-Access-Token", "X-Client-Secret"}

// secretQueryKeys are the query keys a secret is sent under.
var secretQueryKeys = []string{"key", "auth", "token", "api_key", "apikey", "access_token", "password", "sip_trunk_password", "%6Bey"}

// corpus is every placement of a secret in a request, each with its own secret.
func corpus() []placement {
	var ps []placement
	add := func(p placement) { ps = append(ps, p) }
	n := func() string { return corpusSecret(len(ps)) }
	const js, form, text = "application/json", "application/x-www-form-urlencoded", "text/plain"
	add(placement{name: "json field", contentType: js, body: `{"sip_trunk_password":"` + n() + `","friendly_name":"corpus"}`})
	add(placement{name: "json twilio field", contentType: js, body: `{"twilio_auth_token":"` + n() + `"}`})
	add(placement{name: "json nested", contentType: js, body: `{"friendly_name":"corpus","extra":{"deep":[{"api_key":"` + n() + `"}]}}`})
	add(placement{name: "json escaped key", contentType: js, body: `{"sip_trunk_\u0070assword":"` + n() + `"}`})
	add(placement{name: "json wrong type, echoed in the 422", contentType: js, body: `{"sip_trunk_password":["` + n() + `"]}`})
	add(placement{name: "json sent as a string", contentType: js, body: `"{\"sip_trunk_password\": \"` + n() + `\"}"`})
	add(placement{name: "form", contentType: form, body: "friendly_name=corpus&sip_trunk_password=" + n()})
	add(placement{name: "form percent-encoded key", contentType: form, body: "sip%5Ftrunk%5F%70assword=" + n() + "&friendly_name=corpus"})
	add(placement{name: "form as json", contentType: js, body: "sip_trunk_password=" + n()})
	add(placement{name: "python dict text", contentType: text, body: `{'sip_trunk_password': '` + n() + `', 'friendly_name': 'corpus'}`})
	add(placement{name: "python dict as json", contentType: js, body: `{'twilio_auth_token': '` + n() + `'}`})
	add(placement{name: "header dump text", contentType: text, body: "Authorization: Bearer " + n() + "\n"})
	for _, enc := range wideEncodings {
		add(placement{name: "json in " + enc.name, contentType: js, body: enc.bom + encodeWide(`{"sip_trunk_password": "`+n()+`"}`, enc.unit, enc.bigEndian)})
	}
	add(placement{name: "multipart", contentType: "multipart/form-data; boundary=BnD",
		body: "--BnD\r\nContent-Disposition: form-data; name=\"friendly_name\"\r\n\r\ncorpus\r\n--BnD\r\nContent-Disposition: form-data; name=\"sip_trunk_password\"\r\n\r\n" + n() + "\r\n--BnD--\r\n"})
	for _, h := range secretHeaderNames {
		add(placement{name: "header " + h, contentType: js, body: `{}`, header: http.Header{h: {"Bearer " + n()}}})
	}
	add(placement{name: "url in a header", contentType: js, body: `{}`, header: http.Header{"Referer": {"https://app.example/cb?token=" + n()}}})
	for _, k := range secretQueryKeys {
		add(placement{name: "query " + k, contentType: js, body: `{}`, query: k + "=" + n() + "&page=2"})
	}
	return ps
}

var wideEncodings = []struct {
	name      string
	unit      int
	bigEndian bool
	bom       string
}{
	{"UTF-16LE", 2, false, ""}, {"UTF-16LE with BOM", 2, false, "\xff\xfe"},
	{"UTF-16BE", 2, true, ""}, {"UTF-16BE with BOM", 2, true, "\xfe\xff"},
	{"UTF-32LE", 4, false, ""}, {"UTF-32BE with BOM", 4, true, "\x00\x00\xfe\xff"},
}

// encodeWide encodes s as UTF-16 (unit 2) or UTF-32 (unit 4), without a BOM.
func encodeWide(s string, unit int, bigEndian bool) string {
	var out []byte
	put := func(u uint32) {
		for k := range unit {
			shift := 8 * k
			if bigEndian {
				shift = 8 * (unit - 1 - k)
			}
			out = append(out, byte(u>>shift))
		}
	}
	for _, r := range s {
		if unit == 4 {
			put(uint32(r))
			continue
		}
		for _, u := range utf16.AppendRune(nil, r) {
			put(uint32(u))
		}
	}
	return string(out)
}

// leakForms are the forms in which a leaked secret would show: as text (also its
// percent-encoded and JSON-escaped forms, which are the same for corpusMark), and
// its UTF-16 and UTF-32 bytes, raw or escaped in JSON.
func leakForms(s string) []string {
	forms := []string{s, strings.ToLower(s)}
	for _, enc := range wideEncodings {
		wide := encodeWide(s, enc.unit, enc.bigEndian)
		escaped, _ := json.Marshal(wide)
		forms = append(forms, wide, string(escaped[1:len(escaped)-1]))
	}
	return forms
}

// echoAnswers are what a target or an upstream that echoes a secret answers: in a
// 422's input (for a secret's field, or a text body holding one), in text, in a
// header, in UTF-16. Each carries its own secret, numbered after the corpus's.
func echoAnswers(first int) []func(w http.ResponseWriter) {
	var out []func(w http.ResponseWriter)
	answer := func(status int, ct, body string, header ...string) {
		out = append(out, func(w http.ResponseWriter) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		})
	}
	n := func() string { return corpusSecret(first + len(out)) }
	const js = "application/json"
	detail := func(loc, input string) string {
		return `{"detail":[{"type":"string_type","loc":` + loc + `,"msg":"Input should be a valid string","input":` + input + `}]}`
	}
	answer(422, js, detail(`["body","SipPhoneNumberUpdate","sip_trunk_password"]`, `"`+n()+`"`))
	answer(422, js, `{"detail":[{"input":"`+n()+`","loc":["body","twilio_auth_token"],"msg":"m","type":"string_type"}]}`)
	answer(422, js, detail(`["body"]`, `"friendly_name=x&sip_trunk_password=`+n()+`"`))
	answer(422, js, detail(`["body"]`, `"{'sip_trunk_password': '`+n()+`'}"`))
	answer(422, js, detail(`["body"]`, `"{\"sip_trunk_\\u0070assword\": \"`+n()+`\"}"`))
	answer(422, js, detail(`["body"]`, `"--b\r\nContent-Disposition: form-data; name=\"sip_trunk_password\"\r\n\r\n`+n()+`\r\n--b--\r\n"`))
	answer(200, "text/plain; charset=utf-8", "Authorization: Bearer "+n()+"\nsip_trunk_password="+n())
	answer(200, js, `{"_id":"x","provider":"sip","sip_trunk_password":"`+n()+`","friendly_name":"echo"}`)
	answer(200, js, "\xff\xfe"+encodeWide(`{"_id":"x","sip_trunk_password":"`+n()+`"}`, 2, false))
	answer(500, "text/plain; charset=utf-8", "Internal Server Error: token="+n())
	answer(400, js, `{"error":"bad_request","message":"the api_key=`+n()+` is refused"}`)
	answer(404, js, `{"error":"not_found","message":"x"}`, "Set-Cookie", "session="+n(), "X-Api-Key", n(), "X-Auth", n())
	return out
}

// echoTarget serves the fake's admin and state routes as they are, and answers every
// other request with the next of echoAnswers (every second request, so that reads
// the runner and the proxy need still work).
func echoTarget(t *testing.T, first int) (string, *atomic.Int64) {
	t.Helper()
	fake, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	answers := echoAnswers(first)
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !spec.IsOperation(r.Method, r.URL.Path) {
			fake.ServeHTTP(w, r)
			return
		}
		i := n.Add(1)
		if i%2 == 1 {
			fake.ServeHTTP(w, r)
			return
		}
		answers[int(i/2)%len(answers)](w)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &n
}

// send sends each placement to base (a fake or a proxy) for the number id.
func sendCorpus(t *testing.T, base, id string, session string) int {
	t.Helper()
	ps := corpus()
	for _, p := range ps {
		url := base + "/v1/phone-numbers/" + id
		if p.query != "" {
			url += "?" + p.query
		}
		req, err := http.NewRequest(http.MethodPatch, url, strings.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", p.contentType)
		if session != "" {
			req.Header.Set(protocol.SessionHeader, session)
		}
		for k, v := range p.header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return len(ps)
}

func getBody(t *testing.T, url string, header ...string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// checkNoSecret fails for every output that holds a corpus secret (or the token) in
// any of its forms, naming the output and showing where.
func checkNoSecret(t *testing.T, outputs map[string][]byte) {
	t.Helper()
	for name, out := range outputs {
		for _, s := range []string{corpusMark, corpusToken} {
			for _, form := range leakForms(s) {
				if i := bytes.Index(out, []byte(form)); i >= 0 {
					t.Errorf("%s holds a secret (%q): …%q…", name, form, out[max(0, i-160):min(len(out), i+80)])
				}
			}
		}
	}
}

// TestNoOutputHoldsASecret sends a distinct secret in every placement (corpus) to
// the fake, through the proxy to an upstream that echoes secrets in every way
// (echoAnswers), and has the runner check a target that does the same; then
// searches every output (the fake's journal and the live page's data, the logs,
// the runner's text, JUnit and JSON reports, the proxy's journal, drift report,
// --json file, fixtures, and its stderr with the curl lines) for any of them.
func TestNoOutputHoldsASecret(t *testing.T) {
	t.Parallel()
	outputs := map[string][]byte{}
	dir := t.TempDir()

	// The fake, logging everything.
	fake := startChild(t, "serve", "--addr", "127.0.0.1:0", "--log-level", "debug", "--self-check")
	sip := sipNumber(t, fake.url)
	const session = "corpus"
	sent := sendCorpus(t, fake.url, sip, session)
	journal := getBody(t, fake.url+"/__admin/requests", protocol.SessionHeader, session)
	var entries []map[string]any
	if err := json.Unmarshal(journal, &entries); err != nil {
		var wrapped struct {
			Requests []map[string]any `json:"requests"`
		}
		if err := json.Unmarshal(journal, &wrapped); err != nil {
			t.Fatalf("journal: %v: %.200s", err, journal)
		}
		entries = wrapped.Requests
	}
	if len(entries) != sent {
		t.Errorf("the journal holds %d entries, want the %d sent", len(entries), sent)
	}
	outputs["the fake's journal"] = journal
	outputs["the fake's journal, newest first"] = getBody(t, fake.url+"/__admin/requests?order=newest&limit=5", protocol.SessionHeader, session)
	outputs["the fake's sessions"] = getBody(t, fake.url+"/__admin/sessions")
	outputs["the fake's faults"] = getBody(t, fake.url+"/__admin/faults", protocol.SessionHeader, session)
	if code := fake.stop(t); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	outputs["the fake's log"] = fake.stderr.Bytes()

	// The proxy, in front of an upstream that echoes secrets.
	upstream, _ := echoTarget(t, 100)
	report, record := filepath.Join(dir, "drift.json"), filepath.Join(dir, "record.json")
	proxy := startChild(t, "proxy", "--addr", "127.0.0.1:0", "--upstream", upstream, "--json", report, "--record", record,
		"--token", corpusToken, "--log-level", "debug")
	proxied := 0
	for range 2 { // every echo answer comes back at least once
		proxied += sendCorpus(t, proxy.url, sip, "")
	}
	outputs["the proxy's journal"] = getBody(t, proxy.url+"/__admin/requests")
	outputs["the proxy's drift"] = getBody(t, proxy.url+"/__admin/drift")
	if code := proxy.stop(t); code != 0 {
		t.Errorf("proxy exit %d", code)
	}
	outputs["the proxy's stderr"] = proxy.stderr.Bytes()
	outputs["the proxy's stdout"] = proxy.stdout.Bytes()
	for name, f := range map[string]string{"the proxy's --json": report, "the proxy's --record": record} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = b
	}
	if !bytes.Contains(outputs["the proxy's stderr"], []byte("curl ")) {
		t.Errorf("the proxy printed no curl line: the drift did not reach its stderr\n%s", outputs["the proxy's stderr"])
	}

	// The runner, against a target that echoes secrets.
	target, hits := echoTarget(t, 200)
	junit, jsonReport := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"contract", "run", "--target", target, "--states", "/__admin/states",
		"--token", corpusToken, "--junit", junit, "--json", jsonReport}, &stdout, &stderr, env())
	if code != 1 {
		t.Errorf("the runner exit %d, want 1 (the target fails)\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if n := hits.Load(); n < 2*int64(len(echoAnswers(0))) {
		t.Errorf("the target answered %d requests: not every echo was sent", n)
	}
	outputs["the runner's stdout"], outputs["the runner's stderr"] = stdout.Bytes(), stderr.Bytes()
	for name, f := range map[string]string{"the runner's JUnit": junit, "the runner's --json": jsonReport} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = b
	}

	for name, out := range outputs {
		if len(out) == 0 && name != "the proxy's stdout" && name != "the runner's stderr" {
			t.Errorf("%s is empty: nothing was checked", name)
		}
	}
	for _, name := range []string{"the fake's journal", "the proxy's journal", "the proxy's --json", "the runner's --json", "the runner's stdout"} {
		if !bytes.Contains(outputs[name], []byte("REDACTED")) {
			t.Errorf("%s redacted nothing: the corpus did not reach it", name)
		}
	}
	checkNoSecret(t, outputs)
}

// sipNumber is a SIP number the fake at url serves.
func sipNumber(t *testing.T, url string) string {
	t.Helper()
	var list struct {
		PhoneNumbers []struct {
			ID       string `json:"_id"`
			Provider string `json:"provider"`
		} `json:"phone_numbers"`
	}
	if err := json.Unmarshal(getBody(t, url+"/__admin/phone-numbers"), &list); err != nil {
		t.Fatal(err)
	}
	for _, p := range list.PhoneNumbers {
		if p.Provider == "sip" {
			return p.ID
		}
	}
	t.Fatal("no SIP number")
	return ""
}
