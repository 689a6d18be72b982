package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/contract/drift"
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// emptyModel is the proxy's model: the fake with no numbers of its own, so that it
// knows only what it learns from the upstream.
func emptyModel(t testing.TB) *mock.Server {
	t.Helper()
	s, err := mock.New(mock.Options{Fixtures: []byte("phone_numbers: []\n"), JournalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type proxied struct {
	proxy *drift.Proxy
	url   string
	log   *bytes.Buffer
	logMu *sync.Mutex
}

// startProxy serves a proxy in front of upstream (a URL); cfg's Upstream and Oracle
// are filled in when empty.
func startProxy(t testing.TB, upstream string, cfg drift.ProxyConfig) *proxied {
	t.Helper()
	cfg.Upstream = upstream
	if cfg.Oracle == nil {
		cfg.Oracle = emptyModel(t)
	}
	pr := &proxied{log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{pr.log, pr.logMu}, nil))
	p, err := drift.NewProxy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	pr.proxy, pr.url = p, ts.URL
	return pr
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (pr *proxied) logged() string {
	pr.logMu.Lock()
	defer pr.logMu.Unlock()
	return pr.log.String()
}

var noRedirects = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// send sends one generated request through the proxy and returns the status.
func send(t testing.TB, base string, g contract.GenRequest, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(g.Method, base+g.Path, bytes.NewReader(g.Body))
	if err != nil {
		t.Fatalf("%s %s: %v", g.Method, g.Path, err)
	}
	if len(g.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if g.ContentType != nil {
		req.Header.Set("Content-Type", *g.ContentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", g.Method, g.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func firstIDs(s *mock.Server) map[string]string {
	ids := map[string]string{}
	for p, list := range s.SeededIDs() {
		ids[p] = list[0]
	}
	return ids
}

func driftOf(t testing.TB, base string) drift.DriftReport {
	t.Helper()
	resp, err := http.Get(base + "/__admin/drift")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep drift.DriftReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestProxyInFrontOfTheFakeSeesNoDrift: with the fake as the upstream, every
// generated request (300 cases of the contract generator) is equal or outside the
// model; the answers reach the client as the fake sent them.
func TestProxyInFrontOfTheFakeSeesNoDrift(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	pr := startProxy(t, up.URL, drift.ProxyConfig{Record: true})
	reqs := contract.GeneratedRequests(7, contract.DefaultGenerate, firstIDs(fake))
	for _, g := range reqs {
		send(t, pr.url, g, nil)
	}
	rep := pr.proxy.Report()
	if rep.Exchanges != len(reqs) || rep.Drifted != 0 || rep.UpstreamFailed != 0 {
		var out bytes.Buffer
		_ = rep.WriteText(&out)
		t.Fatalf("%d requests: %s\n%s", len(reqs), rep.Summary(), out.String())
	}
	if rep.Equal < len(reqs)*9/10 {
		t.Errorf("only %d of %d compared equal: %s", rep.Equal, len(reqs), rep.Summary())
	}
	// Learning reads: at most one per number met, never one per request.
	ids := map[string]bool{}
	for _, g := range reqs {
		if rest, ok := strings.CutPrefix(g.Path, "/v1/phone-numbers/"); ok && rest != "" && !strings.Contains(strings.TrimSuffix(rest, "/"), "/") {
			ids[strings.ToLower(strings.TrimSuffix(rest, "/"))] = true
		}
	}
	if rep.LearningReads == 0 || rep.LearningReads > 2*len(ids) {
		t.Errorf("%d learning reads for %d requests to %d numbers", rep.LearningReads, len(reqs), len(ids))
	}
	if got := driftOf(t, pr.url); got.Exchanges != rep.Exchanges {
		t.Errorf("GET /__admin/drift: %d exchanges, want %d", got.Exchanges, rep.Exchanges)
	}
	if strings.Contains(pr.logged(), "level=WARN") {
		t.Errorf("warnings without drift:\n%s", pr.logged())
	}
}

// TestProxyReportsDriftUnderItsRule: in front of broken variants of the fake, the
// drift is reported, and most of it under the rule the variant breaks.
func TestProxyReportsDriftUnderItsRule(t *testing.T) {
	t.Parallel()
	want := map[string]bool{
		"null ignored (does not clear)":                      true,
		"fields of another provider applied to the record":   true,
		"errors sorted by field name, not schema order":      true,
		"lookup before validation (404 before 422)":          true,
		"null fields left out of the record":                 true,
		"404 in Starlette's shape instead of ErrorResponse":  true,
		"media type parameters make a body text":             true,
		"unrouted 404 in ErrorResponse shape":                false, // outside the modelled operation: never compared
		"a trailing slash served instead of redirected":      true,
		"update answered but not stored":                     true,
		"text/plain content type":                            true,
		"phone_number writable though no branch declares it": true,
	}
	found := 0
	for _, m := range mutants() {
		compared, ok := want[m.name]
		if !ok {
			continue
		}
		found++
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			up := httptest.NewServer(m.make(fake))
			t.Cleanup(up.Close)
			pr := startProxy(t, up.URL, drift.ProxyConfig{})
			for _, g := range contract.GeneratedRequests(3, contract.DefaultGenerate, firstIDs(fake)) {
				send(t, pr.url, g, nil)
			}
			rep := driftOf(t, pr.url)
			if !compared {
				if rep.Drifted != 0 {
					t.Fatalf("drift outside the model: %s", rep.Summary())
				}
				return
			}
			if rep.Drifted == 0 {
				t.Fatalf("no drift reported: %s", rep.Summary())
			}
			most, byRule := 0, map[string]int{}
			for _, r := range rep.Rules {
				byRule[r.Rule] = r.Count
				most = max(most, r.Count)
				for _, k := range r.Kinds {
					if k.Curl == "" || k.Example == nil || k.Count == 0 || k.LastSeen.Before(k.FirstSeen) {
						t.Errorf("%s: kind %q without its example, curl or times", r.Rule, k.Signature)
					}
				}
			}
			if byRule[m.rule] == 0 || byRule[m.rule] < most {
				var out bytes.Buffer
				_ = rep.WriteText(&out)
				t.Fatalf("drift under %v, not mostly under %q:\n%s", byRule, m.rule, out.String())
			}
			if !strings.Contains(pr.logged(), "level=WARN msg=drift rule=") {
				t.Errorf("no warning logged for the drift")
			}
			t.Logf("%s; by rule: %v", rep.Summary(), byRule)
		})
	}
	if found != len(want) {
		t.Fatalf("%d of the %d mutants named here exist", found, len(want))
	}
}

// TestProxyForwardsUnchanged: the upstream receives the application's request as
// sent, nothing added, and the client the upstream's answer as sent; the only
// request of the proxy's own is one learning read per number.
func TestProxyForwardsUnchanged(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri string
		header      http.Header
		body        string
	}
	var mu sync.Mutex
	var got []seen
	fake := newFake(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		w.Header().Set("X-Upstream", "kept")
		w.Header().Add("Set-Cookie", "a=1")
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	id := firstIDs(fake)["sip"]
	for _, tc := range []struct {
		name      string
		cfg       drift.ProxyConfig
		wantLearn string // the learning read's Authorization, "" for none
	}{
		{"learning with the token", drift.ProxyConfig{Token: "tok-learn"}, "Bearer tok-learn"},
		{"learning with the application's credentials", drift.ProxyConfig{}, "Bearer app-token"},
		{"no learning", drift.ProxyConfig{NoLearn: true}, ""},
	} {
		mu.Lock()
		got = nil
		mu.Unlock()
		pr := startProxy(t, up.URL, tc.cfg)
		req, _ := http.NewRequest(http.MethodPatch, pr.url+"/v1/phone-numbers/"+id+"?trace=1&api_key=k", strings.NewReader(`{"friendly_name":"Desk"}`))
		req.Header["Content-Type"] = []string{"application/json; charset=utf-8"}
		req.Header["Authorization"] = []string{"Bearer app-token"}
		req.Header["X-Custom"] = []string{"1", "2"}
		req.Header["User-Agent"] = []string{"app/1.0"}
		req.Header["Accept-Encoding"] = []string{"identity"}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The answer as the upstream sent it.
		if resp.StatusCode != 200 || resp.Header.Get("X-Upstream") != "kept" || resp.Header.Get("Set-Cookie") != "a=1" || !strings.Contains(string(body), `"friendly_name":"Desk"`) {
			t.Errorf("%s: answer %d %v %s", tc.name, resp.StatusCode, resp.Header, body)
		}
		mu.Lock()
		requests := got
		mu.Unlock()
		var app []seen
		learns := 0
		for _, s := range requests {
			if s.body == "{}" {
				learns++
				if a := s.header.Get("Authorization"); a != tc.wantLearn || s.header.Get("User-Agent") != drift.DefaultProxyUserAgent {
					t.Errorf("%s: learning read with Authorization %q, User-Agent %q", tc.name, a, s.header.Get("User-Agent"))
				}
				continue
			}
			app = append(app, s)
		}
		if wantLearns := map[bool]int{true: 1, false: 0}[tc.wantLearn != ""]; learns != wantLearns {
			t.Errorf("%s: %d learning reads, want %d", tc.name, learns, wantLearns)
		}
		if len(app) != 1 {
			t.Fatalf("%s: the upstream saw %d application requests", tc.name, len(app))
		}
		s := app[0]
		wantHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Authorization": {"Bearer app-token"},
			"X-Custom": {"1", "2"}, "User-Agent": {"app/1.0"}, "Accept-Encoding": {"identity"}, "Content-Length": {"24"}}
		if s.method != http.MethodPatch || s.uri != "/v1/phone-numbers/"+id+"?trace=1&api_key=k" || s.body != `{"friendly_name":"Desk"}` || !sameHeader(s.header, wantHeader) {
			t.Errorf("%s: the upstream saw %s %s %v %s", tc.name, s.method, s.uri, s.header, s.body)
		}
		rep := pr.proxy.Report()
		want := 1
		if tc.cfg.NoLearn {
			want = 0 // the model had not learnt the number: the 200 is not compared…
		}
		if rep.Equal != want || rep.Drifted != 0 {
			t.Errorf("%s: %s", tc.name, rep.Summary())
		}
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if strings.Join(a[k], "\n") != strings.Join(v, "\n") {
			return false
		}
	}
	return true
}

// TestProxyNoLearnFollowsTheUpstream: without learning reads the model takes the
// record from the first 200 and compares from then on.
func TestProxyNoLearnFollowsTheUpstream(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	pr := startProxy(t, up.URL, drift.ProxyConfig{NoLearn: true})
	id := firstIDs(fake)["pia"]
	ct := "application/json"
	for _, body := range []string{`{"friendly_name":1}`, `{"friendly_name":"A"}`, `{"inbound_agent_id":null}`, `{}`} {
		send(t, pr.url, contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + id, ContentType: &ct, Body: []byte(body)}, nil)
	}
	rep := pr.proxy.Report()
	// The 422 does not depend on the record; the first 200 teaches it; the rest compare.
	if rep.LearningReads != 0 || rep.Equal != 3 || rep.NotCompared != 1 || rep.Drifted != 0 {
		t.Errorf("%s (%d equal)", rep.Summary(), rep.Equal)
	}
}

// TestProxyUpstreamFailures: a refused, timed-out or reset upstream drops the
// client's connection, as the upstream did, and is recorded, never as drift.
func TestProxyUpstreamFailures(t *testing.T) {
	t.Parallel()
	refused := func(t testing.TB) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	hanging := func(t testing.TB) string {
		done := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-done:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(done); ts.Close() })
		return ts.URL
	}
	reset := func(t testing.TB) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
			}
		}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	for _, tc := range []struct {
		name     string
		upstream func(testing.TB) string
		reason   string
	}{
		{"refused", refused, "connection refused"},
		{"timeout", hanging, "timeout"},
		{"reset", reset, "connection reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pr := startProxy(t, tc.upstream(t), drift.ProxyConfig{Timeout: 200 * time.Millisecond, NoLearn: true})
			resp, err := noRedirects.Post(pr.url+"/v1/phone-numbers/abc", "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("the client got %d, want a dropped connection", resp.StatusCode)
			}
			rep := pr.proxy.Report()
			if rep.UpstreamFailed != 1 || rep.Drifted != 0 {
				t.Errorf("%s", rep.Summary())
			}
			resp, err = http.Get(pr.url + "/__admin/requests")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var j struct{ Requests []drift.ProxyEntry }
			_ = json.NewDecoder(resp.Body).Decode(&j)
			if len(j.Requests) != 1 || j.Requests[0].Verdict != drift.VerdictUpstreamFailed || !strings.Contains(j.Requests[0].Reason, tc.reason) {
				t.Errorf("journal: %+v", j.Requests)
			}
		})
	}
}

// TestProxyKeepsNoSecret: the token and the credentials in bodies appear nowhere the
// proxy keeps or says anything: journal, drift report, log.
func TestProxyKeepsNoSecret(t *testing.T) {
	t.Parallel()
	var broken http.Handler
	fake := newFake(t)
	for _, m := range mutants() {
		if m.name == "null ignored (does not clear)" {
			broken = m.make(fake)
		}
	}
	up := httptest.NewServer(broken)
	t.Cleanup(up.Close)
	const token = "tok-7f3a9-very-secret"
	pr := startProxy(t, up.URL, drift.ProxyConfig{Token: token})
	id := firstIDs(fake)["sip"]
	ct := "application/json"
	auth := http.Header{"Authorization": {"Bearer " + token}}
	for _, body := range []string{`{"sip_trunk_password":"pw-9c1-very-secret","outbound_agent_id":null}`, `{"friendly_name":"` + token + `"}`} {
		send(t, pr.url, contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + id + "?token=" + token, ContentType: &ct, Body: []byte(body)}, auth)
	}
	if rep := pr.proxy.Report(); rep.Drifted == 0 {
		t.Fatalf("no drift to report: %s", rep.Summary())
	}
	var kept strings.Builder
	for _, path := range []string{"/__admin/drift", "/__admin/requests"} {
		resp, err := http.Get(pr.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		kept.Write(b)
	}
	_ = pr.proxy.Report().WriteText(&kept)
	kept.WriteString(pr.logged())
	for _, secret := range []string{token, "pw-9c1-very-secret", "s3cr3t-sf-01"} {
		if strings.Contains(kept.String(), secret) {
			t.Errorf("%q is kept:\n%s", secret, kept.String())
		}
	}
	if !strings.Contains(kept.String(), "$VERBEX_API_KEY") {
		t.Errorf("the curl does not take the token from the environment:\n%s", kept.String())
	}
}

// TestProxyBounds: a body over the limit is refused, not forwarded; an answer over the
// limit reaches the client unchanged, uncompared; the journal keeps its size.
func TestProxyBounds(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 5000)
	var forwarded int
	var mu sync.Mutex
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		forwarded++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, big)
	}))
	t.Cleanup(up.Close)
	pr := startProxy(t, up.URL, drift.ProxyConfig{MaxBodyBytes: 100, MaxAnswerBytes: 1000, JournalSize: 2, NoLearn: true})
	resp, err := http.Post(pr.url+"/v1/phone-numbers/abc", "application/json", strings.NewReader(strings.Repeat(" ", 101)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || forwarded != 0 {
		t.Errorf("over the body limit: %d, %d forwarded", resp.StatusCode, forwarded)
	}
	for range 3 {
		resp, err = http.Post(pr.url+"/v1/phone-numbers/abc", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != big {
			t.Errorf("a large answer arrived with %d bytes", len(b))
		}
	}
	rep := pr.proxy.Report()
	if rep.NotForwarded != 1 || rep.NotCompared != 3 || rep.Drifted != 0 {
		t.Errorf("%s", rep.Summary())
	}
	resp, err = http.Get(pr.url + "/__admin/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j struct{ Requests []drift.ProxyEntry }
	_ = json.NewDecoder(resp.Body).Decode(&j)
	if len(j.Requests) != 2 || j.Requests[1].Seq != 4 {
		t.Errorf("journal of size 2 holds %d entries", len(j.Requests))
	}
}

// TestProxyVerdicts: what the deployment adds (rate limits, authentication) is not
// drift; a learning read off the document is, under rendering; one refused update
// drifts once, not on every exchange after it.
func TestProxyVerdicts(t *testing.T) {
	t.Parallel()
	ct := "application/json"
	req := func(body string) contract.GenRequest {
		return contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c904", ContentType: &ct, Body: []byte(body)}
	}
	tests := []struct {
		name     string
		upstream func(fake *mock.Server) http.Handler
		requests []contract.GenRequest
		// equal, drifted, not compared, learning reads drifted; a rule drift is under
		want [4]int
		rule string
	}{
		{"rate limited", func(*mock.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"error":"rate_limited"}`, http.StatusTooManyRequests)
			})
		}, []contract.GenRequest{req(`{}`), req(`{"friendly_name":"A"}`)}, [4]int{0, 0, 2, 0}, ""},
		// The upstream answers 422 but stores the update: the next exchange shows it.
		{"an update stored though refused with 422", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 200 && r.ContentLength > 2 {
					*a = answer{422, http.Header{"Content-Type": {"application/json"}}, []byte(`{"detail":[]}`)}
				}
			})
		}, []contract.GenRequest{req(`{"friendly_name":"A"}`), req(`{}`)}, [4]int{0, 2, 0, 0}, judge.RuleStoredState},
		{"a field the document does not have in every record", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 200 {
					rewriteJSON(a, func(v *pyjson.Value) { v.Set("created_at", pyjson.StringValue("2026-01-01")) })
				}
			})
		}, []contract.GenRequest{req(`{}`), req(`{"friendly_name":"A"}`), req(`{"friendly_name":1}`)}, [4]int{1, 2, 0, 0}, judge.RuleRendering},
		// A record the model cannot take at all: the learning read is the drift, and
		// only what does not depend on the record is compared after it.
		{"records without their phone_number", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 200 {
					rewriteJSON(a, func(v *pyjson.Value) {
						v.Obj = slices.DeleteFunc(v.Obj, func(m pyjson.Member) bool { return m.Key == "phone_number" })
					})
				}
			})
		}, []contract.GenRequest{req(`{}`), req(`{"friendly_name":"A"}`), req(`{"friendly_name":1}`)}, [4]int{1, 0, 2, 1}, judge.RuleRendering},
		{"one update refused with 422, nothing stored", func(f *mock.Server) http.Handler {
			refused := false
			var mu sync.Mutex
			return wrap(func(r *http.Request, body []byte) answer {
				mu.Lock()
				defer mu.Unlock()
				if len(body) > 2 && !refused {
					refused = true
					return answer{422, http.Header{"Content-Type": {"application/json"}}, []byte(`{"detail":[]}`)}
				}
				return through(f, r, body)
			})
		}, []contract.GenRequest{req(`{"friendly_name":"A"}`), req(`{}`), req(`{"inbound_agent_id":null}`)}, [4]int{2, 1, 0, 0}, judge.RuleValidation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := httptest.NewServer(tc.upstream(newFake(t)))
			t.Cleanup(up.Close)
			pr := startProxy(t, up.URL, drift.ProxyConfig{})
			for _, g := range tc.requests {
				send(t, pr.url, g, nil)
			}
			rep := pr.proxy.Report()
			if got := [4]int{rep.Equal, rep.Drifted, rep.NotCompared, rep.LearningDrifted}; got != tc.want {
				t.Errorf("equal, drifted, not compared, learning reads drifted: %v, want %v (%s)", got, tc.want, rep.Summary())
			}
			if tc.rule != "" && !slices.ContainsFunc(rep.Rules, func(r drift.DriftRule) bool { return r.Rule == tc.rule }) {
				var out bytes.Buffer
				_ = rep.WriteText(&out)
				t.Errorf("no drift under %q:\n%s", tc.rule, out.String())
			}
		})
	}
}

// BenchmarkProxyExchange: a valid PATCH straight to the fake and through the proxy
// in front of it (loopback both): what the drift watch adds to a round trip.
func BenchmarkProxyExchange(b *testing.B) {
	fake, err := mock.New(mock.Options{JournalSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	up := httptest.NewServer(fake)
	b.Cleanup(up.Close)
	pr := startProxy(b, up.URL, drift.ProxyConfig{JournalSize: -1})
	ct := "application/json"
	g := contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + firstIDs(fake)["sip"], ContentType: &ct, Body: []byte(`{"friendly_name":"Bench","outbound_agent_id":null}`)}
	for _, bc := range []struct{ name, url string }{{"direct", up.URL}, {"proxy", pr.url}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if status, _ := send(b, bc.url, g, nil); status != 200 {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
	if rep := pr.proxy.Report(); rep.Drifted != 0 {
		b.Fatalf("drift: %s", rep.Summary())
	}
}

// TestProxyStaysInStep: the model follows the upstream through parallel updates of
// one number (they go one at a time) and through forgetting numbers past
// MaxNumbers (they are learnt again), without drift.
func TestProxyStaysInStep(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	pr := startProxy(t, up.URL, drift.ProxyConfig{MaxNumbers: 2})
	ct := "application/json"
	ids := fake.SeededIDs()["sip"]
	fields := []string{"friendly_name", "inbound_agent_id", "outbound_agent_id", "sip_trunk_username", "sip_termination_uri"}
	var wg sync.WaitGroup
	for round := range 4 {
		for i, id := range ids {
			for _, f := range fields {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{%q:"r%d-%d"}`, f, round, i)
					if f == "sip_termination_uri" {
						body = fmt.Sprintf(`{%q:"sip:r%d@example.net"}`, f, round)
					}
					send(t, pr.url, contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + id, ContentType: &ct, Body: []byte(body)}, nil)
				}()
			}
		}
		wg.Wait()
	}
	// One at a time, round robin: each number comes back after being forgotten.
	for range 2 {
		for _, id := range ids {
			send(t, pr.url, contract.GenRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + id, ContentType: &ct, Body: []byte(`{}`)}, nil)
		}
	}
	rep := pr.proxy.Report()
	if want := 4*len(ids)*len(fields) + 2*len(ids); rep.Exchanges != want || rep.Equal != want {
		var out bytes.Buffer
		_ = rep.WriteText(&out)
		t.Fatalf("%d exchanges, want %d all equal:\n%s", rep.Exchanges, want, out.String())
	}
	// Three numbers, room for two: some were forgotten and learnt again.
	if rep.LearningReads <= len(ids) {
		t.Errorf("%d learning reads for %d numbers and room for 2", rep.LearningReads, len(ids))
	}
}

// TestAdminHostGuardIsTheFakes: the proxy refuses a Host its admin routes do not
// answer with the fake's status and error code (one guard, mock/protocol).
func TestAdminHostGuardIsTheFakes(t *testing.T) {
	t.Parallel()
	fake, err := mock.New(mock.Options{AdminHosts: []string{"localhost"}, JournalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	pr := startProxy(t, fakeSrv.URL, drift.ProxyConfig{AdminHosts: []string{"localhost"}})
	refusal := func(base, path string) (int, protocol.ErrorResponse) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "rebound.example:80"
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body protocol.ErrorResponse
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp.StatusCode, body
	}
	fs, fb := refusal(fakeSrv.URL, "/__admin/requests")
	ps, pb := refusal(pr.url, "/__admin/requests")
	if fs != http.StatusForbidden || ps != fs || fb.Error != protocol.CodeHostNotAllowed || pb.Error != fb.Error {
		t.Errorf("fake %d %q, proxy %d %q; want both 403 %q", fs, fb.Error, ps, pb.Error, protocol.CodeHostNotAllowed)
	}
	for _, host := range []string{"localhost", "LOCALHOST:8080"} {
		if !protocol.AdminHostAllowed([]string{"localhost"}, host) {
			t.Errorf("%s refused", host)
		}
	}
	if protocol.AdminHostAllowed([]string{"localhost"}, "localhost.rebound.example") || !protocol.AdminHostAllowed(nil, "any") {
		t.Error("AdminHostAllowed: a suffix passed, or nil refused")
	}
}

// TestJournalFieldNamesMatchTheFakes: /__admin/requests names a field the fake's
// journal and the proxy's journal both have the same way (headers, not header).
func TestJournalFieldNamesMatchTheFakes(t *testing.T) {
	t.Parallel()
	jsonNames := func(typ reflect.Type) map[string]string {
		out := map[string]string{}
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "-" {
				out[f.Name] = name
			}
		}
		return out
	}
	fake := jsonNames(reflect.TypeFor[mock.JournalEntry]())
	shared := 0
	for _, typ := range []reflect.Type{reflect.TypeFor[drift.ProxyEntry](), reflect.TypeFor[drift.ProxyAnswer]()} {
		for field, name := range jsonNames(typ) {
			if want, ok := fake[field]; ok {
				shared++
				if name != want {
					t.Errorf("%s.%s is %q in JSON; the fake's journal says %q", typ.Name(), field, name, want)
				}
			}
		}
	}
	if shared < 6 {
		t.Fatalf("only %d fields shared: the comparison compares nothing", shared)
	}
}
