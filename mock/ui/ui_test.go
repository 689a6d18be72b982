package ui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/ui"
)

// Seeded ids of the embedded fixtures.
const (
	sipID    = "6650a1f2c3d4e5f6a7b8c901"
	twilioID = "6650a1f2c3d4e5f6a7b8c906"
)

var errNoChromium = errors.New("no chromium")

// One browser for the package: starting Chromium costs about a second.
var shared struct {
	once sync.Once
	b    *browser
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		shared.b.close()
	}
	os.Exit(code)
}

// needBrowser returns the shared headless Chromium, or skips the test where none is
// installed (unless the CI check that installs it asked for it).
func needBrowser(t *testing.T) *browser {
	t.Helper()
	shared.once.Do(func() {
		bin := findChromium()
		if bin == "" {
			shared.err = errNoChromium
			return
		}
		shared.b, shared.err = startBrowser(bin, 1280, 900)
		if shared.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			shared.b.mu.Lock()
			shared.b.events = recordExceptions
			shared.b.mu.Unlock()
			for _, m := range []string{"Page.enable", "Runtime.enable"} {
				if _, err := shared.b.call(ctx, m, nil); err != nil {
					shared.err = err
					return
				}
			}
		}
	})
	switch {
	case errors.Is(shared.err, errNoChromium) && os.Getenv(requireEnv) == "":
		t.Skip("headless Chromium not found: install Debian's chromium package (apt-get install -y chromium) or set " + chromiumEnv + " to a Chromium binary")
	case shared.err != nil:
		t.Fatalf("headless Chromium: %v", shared.err)
	}
	return shared.b
}

// Uncaught exceptions in the page fail the test that was running.
var exceptions struct {
	mu   sync.Mutex
	list []string
}

func recordExceptions(method string, params json.RawMessage) {
	if method != "Runtime.exceptionThrown" {
		return
	}
	exceptions.mu.Lock()
	exceptions.list = append(exceptions.list, string(params))
	exceptions.mu.Unlock()
}

// fixture is the real fake with the page mounted beside it, as the lead's route will.
type fixture struct {
	t    *testing.T
	fake *mock.Server
	url  string
	b    *browser
}

// serve starts the fake and the page on 127.0.0.1. withAnswers puts the answer body of
// each request into the journal listing as "response_body", standing in for what the
// journal does not record yet, so the page's 422 rendering can be shown.
func serve(t *testing.T, opts mock.Options, withAnswers bool) *fixture {
	t.Helper()
	if withAnswers {
		return serveWith(t, opts, journalAnswers)
	}
	return serveWith(t, opts, nil)
}

// serveWith puts wrap (when not nil) in front of the fake, to stand in for admin
// routes as they are about to change.
func serveWith(t *testing.T, opts mock.Options, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	fake, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var api http.Handler = fake
	if wrap != nil {
		api = wrap(fake)
	}
	mux := http.NewServeMux()
	mux.Handle(ui.Path, ui.Handler())
	mux.Handle("/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{t: t, fake: fake, url: srv.URL}
}

// answerRefHeader ties a request to its recorded answer (the journal keeps headers).
const answerRefHeader = "X-Ui-Test-Ref"

func journalAnswers(fake http.Handler) http.Handler {
	var mu sync.Mutex
	answers := map[string]string{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ref := r.Header.Get(answerRefHeader); ref != "" {
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			mu.Lock()
			answers[ref] = rec.Body.String()
			mu.Unlock()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		if r.Method != http.MethodGet || r.URL.Path != "/__admin/requests" {
			fake.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		var list struct {
			Requests []map[string]any `json:"requests"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		mu.Lock()
		for _, e := range list.Requests {
			headers, _ := e["headers"].(map[string]any)
			if h, ok := headers[answerRefHeader].([]any); ok && len(h) == 1 {
				if body, ok := answers[fmt.Sprint(h[0])]; ok {
					e["response_body"] = body
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
}

func (f *fixture) do(method, path, body string, header map[string]string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// patch sends a JSON PATCH to a number, in session sess ("" for the default).
func (f *fixture) patch(sess, id, body string, header map[string]string) int {
	f.t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	if sess != "" {
		h[mock.SessionHeader] = sess
	}
	for k, v := range header {
		h[k] = v
	}
	code, _ := f.do(http.MethodPatch, "/v1/phone-numbers/"+url.PathEscape(id), body, h)
	return code
}

func (f *fixture) addFault(rule string) string {
	f.t.Helper()
	code, body := f.do(http.MethodPost, "/__admin/faults", rule, map[string]string{"Content-Type": "application/json"})
	if code != http.StatusCreated {
		f.t.Fatalf("adding fault: %d %s", code, body)
	}
	var r mock.FaultRule
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		f.t.Fatal(err)
	}
	return r.ID
}

func (f *fixture) faultIDs() []string {
	f.t.Helper()
	_, body := f.do(http.MethodGet, "/__admin/faults", "", nil)
	var list struct{ Faults []mock.FaultStatus }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, r := range list.Faults {
		ids = append(ids, r.ID)
	}
	return ids
}

// open loads the page in the shared browser and waits for its first poll.
func (f *fixture) open(fragment string) {
	f.t.Helper()
	f.navigate(fragment)
	f.wait("the page's first poll", `document.location.pathname === "/__admin/ui" && window.verbexUI !== undefined && verbexUI.ready`)
}

// navigate loads the page in the shared browser without waiting for its first poll.
func (f *fixture) navigate(fragment string) {
	f.t.Helper()
	f.b = needBrowser(f.t)
	exceptions.mu.Lock()
	exceptions.list = nil
	exceptions.mu.Unlock()
	f.t.Cleanup(func() {
		exceptions.mu.Lock()
		defer exceptions.mu.Unlock()
		for _, e := range exceptions.list {
			f.t.Errorf("uncaught exception in the page: %s", e)
		}
		var violations []string
		if err := f.eval("window.verbexUI ? verbexUI.cspViolations : []", &violations); err == nil && len(violations) > 0 {
			f.t.Errorf("Content-Security-Policy violations: %v", violations)
		}
		// about:blank, so that the page stops polling a server that is closing.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = f.b.call(ctx, "Page.navigate", map[string]any{"url": "about:blank"})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.b.call(ctx, "Page.navigate", map[string]any{"url": f.url + ui.Path + fragment}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.b.eval(ctx, expr, out)
}

// js evaluates an expression in the page and fails the test on an exception.
func (f *fixture) js(expr string, out any) {
	f.t.Helper()
	if err := f.eval(expr, out); err != nil {
		f.t.Fatalf("%s: %v", expr, err)
	}
}

// wait polls a JavaScript condition until it holds, for at most 10 seconds.
func (f *fixture) wait(what, cond string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var ok bool
		err := f.eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			_ = f.eval(`JSON.stringify({live: document.getElementById("live-text").textContent, rows: document.querySelectorAll("#journal > li").length, polls: verbexUI.polls})`, &state)
			f.t.Fatalf("waited 10s for %s (%s): err %v; page %s", what, cond, err, state)
		}
		<-tick.C
	}
}

func (f *fixture) text(selector string) string {
	f.t.Helper()
	var s string
	f.js(fmt.Sprintf(`(document.querySelector(%q) || {textContent: %q}).textContent`, selector, "<missing "+selector+">"), &s)
	return s
}

// pressEnter types Enter into the focused element, as a keyboard does.
func (f *fixture) pressEnter() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, typ := range []string{"keyDown", "keyUp"} {
		ev := map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
		if typ == "keyDown" {
			ev["text"] = "\r"
		}
		if _, err := f.b.call(ctx, "Input.dispatchKeyEvent", ev); err != nil {
			f.t.Fatal(err)
		}
	}
}

// expand opens the journal row of a request and waits for its details.
func (f *fixture) expand(seq int) {
	f.t.Helper()
	f.js(fmt.Sprintf(`document.querySelector('#journal details[data-seq="%d"] > summary').click()`, seq), nil)
	f.wait(fmt.Sprintf("the details of #%d", seq), fmt.Sprintf(`document.querySelector('#journal details[data-seq="%d"] .detail')`, seq))
}

func TestHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, ui.Page()) {
		t.Fatalf("GET: %d, %d bytes; want 200 and the page", res.StatusCode, len(body))
	}
	for k, want := range map[string]string{
		"Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
		t.Errorf("GET with the ETag: %v %v, want 304", res.StatusCode, err)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, srv.URL, strings.NewReader("{}"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" || string(b) != `{"detail":"Method Not Allowed"}` {
			t.Errorf("%s: %d Allow=%q %s; want 405, GET, HEAD and the admin routes' body", m, res.StatusCode, res.Header.Get("Allow"), b)
		}
	}
}

// The page builds nodes with textContent only and loads nothing from elsewhere.
func TestPageSource(t *testing.T) {
	t.Parallel()
	p := string(ui.Page())
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "http://", "https://", "<link rel=\"stylesheet\"", "<script src", "<img"} {
		if strings.Contains(p, banned) {
			t.Errorf("the page contains %q", banned)
		}
	}
}

// The page sends since= to fetch only what is new: the server honours it.
func TestAdminRequestsHonoursSince(t *testing.T) {
	t.Parallel()
	f := serve(t, mock.Options{}, false)
	for range 3 {
		f.patch("", sipID, `{}`, nil)
	}
	_, body := f.do(http.MethodGet, "/__admin/requests?since=2", "", nil)
	var list struct{ Requests []mock.JournalEntry }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Requests) != 1 || list.Requests[0].Seq != 3 {
		t.Fatalf("since=2 listed %d entries; want the one after it", len(list.Requests))
	}
}

func TestBrowserLive(t *testing.T) {
	f := serve(t, mock.Options{}, false)
	down := f.addFault(`{"name":"trunk down","status":500,"times":3,"match":{"phone_number_id":"` + twilioID + `"}}`)
	slow := f.addFault(`{"name":"slow deletes","delay":"1ms","match":{"method":"DELETE"}}`)
	f.open("")
	f.wait("both fault rules", `document.querySelectorAll("#faults tr[data-fault]").length === 2`)

	// Requests sent after the page loaded appear, newest first.
	if got := f.patch("", sipID, `{"friendly_name":"Front desk","sip_trunk_password":"n3w-s3cret"}`, map[string]string{"Authorization": "Bearer tok-123"}); got != 200 {
		t.Fatalf("valid PATCH: %d", got)
	}
	if got := f.patch("", sipID, `{"friendly_name":123}`, nil); got != 422 {
		t.Fatalf("invalid PATCH: %d", got)
	}
	if got := f.patch("", twilioID, `{}`, nil); got != 500 {
		t.Fatalf("PATCH under the fault: %d", got)
	}
	f.wait("three rows", `document.querySelectorAll("#journal > li").length === 3`)
	var order []string
	f.js(`[...document.querySelectorAll("#journal > li")].map(li => li.dataset.seq)`, &order)
	if strings.Join(order, ",") != "3,2,1" {
		t.Errorf("rows in order %v; want newest first 3,2,1", order)
	}

	// The 422, opened from the keyboard: the request as sent, the verdict and the field
	// errors of the answer the journal keeps.
	f.js(`document.querySelector('#journal details[data-seq="2"] > summary').focus()`, nil)
	f.pressEnter()
	f.wait("the 422 opened with Enter", `document.querySelector('#journal details[data-seq="2"] .detail')`)
	if got := f.text(`#journal details[data-seq="2"] pre.body`); !strings.Contains(got, `"friendly_name": 123`) {
		t.Errorf("422 request body shown as %q", got)
	}
	if got := f.text(`#journal details[data-seq="2"] .answer`); !strings.Contains(got, "422 Unprocessable Entity") || !strings.Contains(got, "invalid") {
		t.Errorf("422 answer line %q", got)
	}
	f.wait("the field errors", `document.querySelector('#journal details[data-seq="2"] tr.field-error')`)
	if got := f.text(`#journal details[data-seq="2"] tr.field-error`); !strings.Contains(got, "friendly_name") || !strings.Contains(got, "Input should be a valid string") {
		t.Errorf("422 field error row %q", got)
	}

	// The fault that fired, by id and name.
	f.expand(3)
	if got := f.text(`#journal details[data-seq="3"] .fault-line`); !strings.Contains(got, down) || !strings.Contains(got, "trunk down") {
		t.Errorf("fault line %q; want %s “trunk down”", got, down)
	}

	// A copyable curl line, secrets masked, that replays the request.
	f.expand(1)
	curl := f.text(`#journal details[data-seq="1"] pre.curl-line`)
	// Secrets are shell variables, set before pasting, not the literal mask.
	for _, want := range []string{"curl -s -X PATCH '" + f.url + "/v1/phone-numbers/" + sipID + "'", `-H 'Authorization: Bearer '"$VERBEX_API_KEY" `, "-H 'Content-Type: application/json'", `"sip_trunk_password":"'"$SIP_TRUNK_PASSWORD"'"`} {
		if !strings.Contains(curl, want) || strings.Contains(curl, "REDACTED") || strings.Contains(curl, "n3w-s3cret") || strings.Contains(curl, "tok-123") {
			t.Errorf("curl line %q lacks %q", curl, want)
		}
	}

	// Copy puts it on the clipboard, or selects it where the clipboard is refused.
	f.js(`document.querySelector('#journal details[data-seq="1"] .curl button').click()`, nil)
	f.wait("the copy", `["Copied", "Selected: press Ctrl+C"].includes(document.querySelector('#journal details[data-seq="1"] .curl button').textContent)`)

	// The number's current fields, its secret masked; no secret anywhere in the page.
	f.wait("the number updated", `[...document.querySelectorAll('#numbers article[data-id="`+sipID+`"] td')].some(td => td.textContent === "Front desk")`)
	if got := f.text(`#numbers article[data-id="` + sipID + `"]`); !strings.Contains(got, "•••••• set") {
		t.Errorf("number card %q does not show its password as set and masked", got)
	}
	var page string
	f.js(`document.body.textContent`, &page)
	for _, secret := range []string{"n3w-s3cret", "tok-123", "s3cr3t-sf-01"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows the secret %q", secret)
		}
	}

	// Matched, fired, remaining.
	var counts []string
	f.js(`[...document.querySelectorAll('#faults tr[data-fault="`+down+`"] td.num')].map(td => td.textContent)`, &counts)
	if strings.Join(counts, "/") != "1/1/2" {
		t.Errorf("fault %s matched/fired/left %v; want 1/1/2", down, counts)
	}

	// Filters: status, validation outcome, id.
	for _, c := range []struct{ set, want string }{
		{`document.getElementById("f-status").value = "422"; document.getElementById("f-status").dispatchEvent(new Event("change"))`, "2"},
		{`document.getElementById("f-status").value = ""; document.getElementById("f-validation").value = "not validated"; document.getElementById("f-validation").dispatchEvent(new Event("change"))`, "3"},
		{`document.getElementById("f-validation").value = ""; document.getElementById("f-id").value = "c906"; document.getElementById("f-id").dispatchEvent(new Event("input"))`, "3"},
		{`document.getElementById("f-id").value = ""; document.getElementById("f-id").dispatchEvent(new Event("input"))`, "3,2,1"},
	} {
		f.js(c.set, nil)
		f.wait("filtered rows "+c.want, `[...document.querySelectorAll("#journal > li")].map(li => li.dataset.seq).join(",") === "`+c.want+`"`)
	}

	// Delete a rule from the page: gone from /__admin/faults, the other one kept.
	f.js(`document.querySelector('#faults button[data-fault="`+down+`"]').click()`, nil)
	deadline := time.Now().Add(10 * time.Second)
	for ids := f.faultIDs(); len(ids) != 1 || ids[0] != slow; ids = f.faultIDs() {
		if time.Now().After(deadline) {
			t.Fatalf("/__admin/faults lists %v after deleting %s from the page; want [%s]", ids, down, slow)
		}
		time.Sleep(20 * time.Millisecond) // polling the fake's state with a deadline
	}
	f.wait("the rule gone from the page", `!document.querySelector('#faults tr[data-fault="`+down+`"]') && document.querySelector('#faults tr[data-fault="`+slow+`"]')`)

	// Only the test's requests are in the journal: the page itself adds nothing (no
	// favicon fetch, admin routes are not journaled).
	if n := len(f.fake.Session("").Requests()); n != 3 {
		t.Errorf("the default session journaled %d requests; want the test's 3", n)
	}

	// Another session: picked in the field, remembered in the URL, its own journal.
	f.js(`document.getElementById("session").value = "checkout-42"; document.getElementById("session-form").requestSubmit()`, nil)
	f.wait("the empty session", `location.hash === "#session=checkout-42" && document.querySelectorAll("#journal > li").length === 0`)
	f.patch("checkout-42", twilioID, `{"friendly_name":"mine"}`, nil)
	f.wait("the session's request", `document.querySelectorAll("#journal > li").length === 1`)
	if got := f.text("#faults"); !strings.Contains(got, "No fault rules") {
		t.Errorf("session checkout-42 shows the default session's faults: %q", got)
	}

	// Reset the session from the page, through its confirmation dialog.
	f.js(`document.getElementById("reset").click()`, nil)
	f.wait("the confirmation", `document.getElementById("confirm-reset").open`)
	f.js(`document.getElementById("confirm-yes").click()`, nil)
	f.wait("the journal cleared by the reset", `document.querySelectorAll("#journal > li").length === 0`)
	if n := len(f.fake.Session("checkout-42").Requests()); n != 0 {
		t.Errorf("after the reset the session journal has %d entries", n)
	}
}

// With the answer body in the journal (what the page asks of the server next), a 422 is
// rendered as its field errors: field, message, input, branches.
func TestBrowserValidationDetail(t *testing.T) {
	f := serve(t, mock.Options{}, true)
	f.open("")
	if got := f.patch("", sipID, `{"friendly_name":123,"sip_trunk_password":987654}`, map[string]string{answerRefHeader: "1"}); got != 422 {
		t.Fatalf("invalid PATCH: %d", got)
	}
	f.wait("the 422", `document.querySelector('#journal details[data-seq="1"]')`)
	f.expand(1)
	f.wait("the field errors", `document.querySelector('#journal details[data-seq="1"] tr.field-error')`)
	var rows [][]string
	f.js(`[...document.querySelectorAll('#journal details[data-seq="1"] tr.field-error')].map(tr => [...tr.cells].map(td => td.textContent))`, &rows)
	want := []string{"friendly_name", "Input should be a valid string (string_type)", "123", "SIP, Pia, Twilio"}
	found := false
	for _, r := range rows {
		if strings.Join(r, "|") == strings.Join(want, "|") {
			found = true
		}
	}
	if !found {
		t.Errorf("field errors %q; want a row %q", rows, want)
	}
	var page string
	f.js(`document.body.textContent`, &page)
	if strings.Contains(page, "987654") {
		t.Error("the page shows the secret input 987654")
	}
}

// Request data is shown as text, never run: a hostile id, body and header.
func TestBrowserEscapes(t *testing.T) {
	f := serve(t, mock.Options{}, false)
	f.open("")
	id := `<img src=x onerror="window.__pwned=1">`
	f.patch("", id, `{"friendly_name":"<script>window.__pwned=2</script><b>bold</b>"}`, map[string]string{"X-Note": `<img src=x onerror=window.__pwned=3>`})
	f.wait("the row", `document.querySelector('#journal details[data-seq="1"]')`)
	f.expand(1)
	var got struct {
		Pwned  bool
		Images int
		Text   string
	}
	f.js(`({pwned: window.__pwned !== undefined, images: document.querySelectorAll("#journal img, #journal script, #journal b").length, text: document.querySelector("#journal li").textContent})`, &got)
	if got.Pwned || got.Images != 0 {
		t.Fatalf("request data became markup: pwned=%v, %d elements", got.Pwned, got.Images)
	}
	for _, want := range []string{id, "<script>window.__pwned=2</script><b>bold</b>", "<img src=x onerror=window.__pwned=3>"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("the row does not show %q as text", want)
		}
	}
}

// The page's weight, and the time to render 2,000 journal entries, measured in the
// browser with performance.now() around the first render (rows built and laid out).
func TestBrowserRenders2000(t *testing.T) {
	f := serve(t, mock.Options{JournalSize: 5000}, false)
	const n = 2000
	for i := range n {
		body := fmt.Sprintf(`{"friendly_name":"line %d"}`, i)
		if i%5 == 0 {
			body = fmt.Sprintf(`{"friendly_name":%d}`, i)
		}
		req := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/"+sipID, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		f.fake.ServeHTTP(httptest.NewRecorder(), req)
	}
	f.open("")
	f.wait("2,000 entries", `verbexUI.lastRender && verbexUI.lastRender.entries === 2000`)
	var first struct {
		Kind    string
		Entries int
		Rows    int
		MS      float64
		Build   float64
		At      float64
	}
	f.js(`verbexUI.renders.find(r => r.entries === 2000)`, &first)
	f.js(`document.getElementById("f-validation").value = "invalid"; document.getElementById("f-validation").dispatchEvent(new Event("change"))`, nil)
	f.wait("the filtered render", `document.getElementById("journal-count").textContent === "400 of 2,000 match"`)
	var filtered struct{ MS float64 }
	f.js(`verbexUI.lastRender`, &filtered)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(ui.Page())
	zw.Close()
	t.Logf("page weight: %d bytes (%d gzipped)", len(ui.Page()), gz.Len())
	t.Logf("first render of %d entries (%d rows in the DOM): %.1f ms (%.1f building nodes, the rest style and layout); filter over them: %.1f ms; rows on screen %.0f ms after navigation (fetch and parse included)", first.Entries, first.Rows, first.MS, first.Build, filtered.MS, first.At)
	if first.Rows != 150 {
		t.Errorf("%d rows in the DOM; want the first 150", first.Rows)
	}
	if first.MS > 1000 {
		t.Errorf("rendering %d entries took %.0f ms; the page freezes", n, first.MS)
	}
	f.js(`document.getElementById("more").click()`, nil)
	f.wait("150 more rows", `document.querySelectorAll("#journal > li").length === 300`)
	// Scrolling to the end draws the rest of the 400 matching entries.
	f.js(`document.getElementById("more").scrollIntoView()`, nil)
	f.wait("the rows drawn on scrolling", `document.querySelectorAll("#journal > li").length === 400 && document.getElementById("more").hidden`)
	var seqs []int
	f.js(`[...document.querySelectorAll("#journal > li")].map(li => Number(li.dataset.seq))`, &seqs)
	for i := 1; i < len(seqs); i++ {
		if seqs[i] >= seqs[i-1] {
			t.Fatalf("rows out of order at %d: %d after %d", i, seqs[i], seqs[i-1])
		}
	}
}

// TestScreenshot writes docs/ui.png when VERBEX_MOCK_UI_SCREENSHOT names the file.
func TestScreenshot(t *testing.T) {
	out := os.Getenv("VERBEX_MOCK_UI_SCREENSHOT")
	if out == "" {
		t.Skip("set VERBEX_MOCK_UI_SCREENSHOT=docs/ui.png (relative to the module root) to write the screenshot")
	}
	f := serve(t, mock.Options{}, false)
	// Added last, the trunk rule takes precedence over the delay for its number.
	f.addFault(`{"name":"slow everything","delay":"300ms","probability":0.2}`)
	f.addFault(`{"name":"trunk down","status":500,"times":3,"match":{"phone_number_id":"` + twilioID + `"}}`)
	f.open("")
	f.patch("", sipID, `{"friendly_name":"Front desk","outbound_agent_id":null}`, nil)
	f.patch("", "6650a1f2c3d4e5f6a7b8c904", `{"inbound_agent_id":"6650a0e1b2c3d4e5f6a7b8ff"}`, nil)
	f.patch("", twilioID, `{"friendly_name":"NYC"}`, nil)
	f.patch("", "000000000000000000000000", `{}`, nil)
	f.patch("", sipID, `{"sip_trunk_password":"rotated-2026"}`, map[string]string{"Authorization": "Bearer x"})
	f.patch("", sipID, `{"friendly_name":123}`, nil)
	f.wait("six rows", `document.querySelectorAll("#journal > li").length === 6`)
	f.expand(6)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := f.b.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}); err != nil {
		t.Fatal(err)
	}
	res, err := f.b.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		t.Fatal(err)
	}
	var shot struct{ Data string }
	if err := json.Unmarshal(res, &shot); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var small bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&small, paletted(img)); err != nil {
		t.Fatal(err)
	}
	shotPNG := small.Bytes()
	if !strings.HasPrefix(out, "/") {
		out = "../../" + out
	}
	if err := os.WriteFile(out, shotPNG, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(shotPNG))
}

// paletted maps a screenshot onto its 256 most frequent colours (a page has few; the
// rest are text antialiasing), which keeps the committed PNG well under 200 KB.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	count := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := make([]color.RGBA, 0, len(count))
	for c := range count {
		colors = append(colors, c)
	}
	sort.Slice(colors, func(i, j int) bool {
		if count[colors[i]] != count[colors[j]] {
			return count[colors[i]] > count[colors[j]]
		}
		return fmt.Sprint(colors[i]) < fmt.Sprint(colors[j])
	})
	// Most frequent first, skipping near-duplicates, so that a small but distinct
	// colour (a status dot, a badge) keeps its own entry.
	pal := color.Palette{}
	for _, c := range colors {
		if len(pal) == 256 {
			break
		}
		if len(pal) > 0 {
			near := pal[pal.Index(c)].(color.RGBA)
			dr, dg, db := int(c.R)-int(near.R), int(c.G)-int(near.G), int(c.B)-int(near.B)
			if dr*dr+dg*dg+db*db < 200 {
				continue
			}
		}
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}

// nextAdmin stands in for the admin routes as the server is about to serve them:
// /__admin/requests honours since= (entries after that seq only) and lists newest
// first, reads of a session that does not exist ("ghost" here) answer 404, and changes
// that are not application/json answer 415.
func nextAdmin(sinceSeen *atomic.Int64) func(http.Handler) http.Handler {
	return func(fake http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/__admin/") && r.Header.Get("Content-Type") != "application/json" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnsupportedMediaType)
				_, _ = w.Write([]byte(`{"error":"invalid_admin_request","message":"Admin changes take application/json."}`))
				return
			}
			if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/__admin/") && r.URL.Query().Get("session") == "ghost" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error":"session_not_found","message":"No session is named \"ghost\"."}`))
				return
			}
			if r.Method != http.MethodGet || r.URL.Path != "/__admin/requests" {
				fake.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			var list struct {
				Requests []mock.JournalEntry `json:"requests"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
			if since > 0 {
				sinceSeen.Add(1)
			}
			out := []mock.JournalEntry{}
			for i := len(list.Requests) - 1; i >= 0; i-- {
				if e := list.Requests[i]; e.Seq > since {
					out = append(out, e)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"requests": out})
		})
	}
}

// The page works the same when the server honours since=, lists newest first, and
// answers 404 for a session that does not exist yet.
func TestBrowserNextAdminShape(t *testing.T) {
	var sinceSeen atomic.Int64
	f := serveWith(t, mock.Options{}, nextAdmin(&sinceSeen))
	f.open("")
	for range 3 {
		f.patch("", sipID, `{}`, nil)
	}
	f.wait("three rows, newest first", `[...document.querySelectorAll("#journal > li")].map(li => li.dataset.seq).join(",") === "3,2,1"`)
	f.patch("", sipID, `{"friendly_name":1}`, nil)
	f.wait("the fourth row once", `[...document.querySelectorAll("#journal > li")].map(li => li.dataset.seq).join(",") === "4,3,2,1"`)
	f.wait("since= honoured", `verbexUI.sinceMode === "honoured"`)
	if sinceSeen.Load() == 0 {
		t.Error("the page never sent since=")
	}
	// A clear is invisible to since=: the page fetches the whole journal after its own.
	f.js(`document.getElementById("clear-journal").click()`, nil)
	f.wait("the cleared journal", `document.querySelectorAll("#journal > li").length === 0`)
	if n := len(f.fake.Session("").Requests()); n != 0 {
		t.Fatalf("the page's clear did not pass the JSON-only check: %d entries left", n)
	}
	f.patch("", sipID, `{}`, nil)
	f.wait("the next row", `[...document.querySelectorAll("#journal > li")].map(li => li.dataset.seq).join(",") === "5"`)

	f.js(`location.hash = "#session=ghost"`, nil)
	f.wait("the missing session", `document.getElementById("live-text").textContent.startsWith("no such session yet") && document.getElementById("dot").className === "dot on"`)
}
