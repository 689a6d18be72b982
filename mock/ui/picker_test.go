package ui_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/mock"
)

// TestBrowserSessionPicker: the picker lists the fake's sessions from GET
// /__admin/sessions (the default first, then the most recently used), picks one up
// that appears while the page is open, and choosing one shows that session.
func TestBrowserSessionPicker(t *testing.T) {
	f := serve(t, mock.Options{}, false)
	f.patch("TestA/sub#1", sipID, `{"friendly_name":"alpha"}`, nil)
	f.patch("TestB/sub#2", sipID, `{"friendly_name":"beta"}`, nil)
	f.patch("TestB/sub#2", sipID, `{}`, nil)
	f.open("")
	f.wait("the sessions listed", `verbexUI.sessions && verbexUI.sessions.length === 3`)
	var names []string
	f.js(`verbexUI.sessions`, &names)
	if strings.Join(names, ",") != ",TestB/sub#2,TestA/sub#1" {
		t.Errorf("picker lists %q; want the default, then the most recently used", names)
	}
	if got := f.text(`#session-pick option[value="TestB/sub#2"]`); got != "TestB/sub#2 · 2 requests" {
		t.Errorf("option label %q", got)
	}

	// A session made while the page is open appears at the next poll.
	f.patch("TestC#3", sipID, `{}`, nil)
	f.wait("the new session listed", `verbexUI.sessions.includes("TestC#3")`)

	// Choosing one shows its journal and keeps it in the URL.
	f.js(`(() => { const p = document.getElementById("session-pick"); p.value = "TestA/sub#1"; p.dispatchEvent(new Event("change")); })()`, nil)
	f.wait("the chosen session's journal", `location.hash === "#session=" + encodeURIComponent("TestA/sub#1") && document.querySelectorAll("#journal > li").length === 1`)
	f.expand(1)
	if got := f.text(`#journal details[data-seq="1"] pre.body`); !strings.Contains(got, "alpha") {
		t.Errorf("the journal shows %q, not session TestA/sub#1's request", got)
	}
	if got := f.text("title"); !strings.Contains(got, "TestA/sub#1") {
		t.Errorf("title %q", got)
	}
	var typed string
	f.js(`document.getElementById("session").value`, &typed)
	if typed != "TestA/sub#1" {
		t.Errorf("the name field says %q", typed)
	}
}

// TestBrowserLoadingState: until the first poll has answered, each panel says it is
// loading; "No fault rules" and "No requests yet" are claims about the session and
// appear only once its data has loaded.
func TestBrowserLoadingState(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	f := serveWith(t, mock.Options{}, func(fake http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/__admin/requests", "/__admin/faults", "/__admin/phone-numbers":
				<-release
			}
			fake.ServeHTTP(w, r)
		})
	})
	f.navigate("")
	f.wait("the page's script", `window.verbexUI !== undefined && document.getElementById("faults").textContent !== ""`)
	for sel, want := range map[string]string{"#faults": "Loading fault rules…", "#numbers": "Loading phone numbers…", "#journal-loading": "Loading requests…"} {
		if got := f.text(sel); got != want {
			t.Errorf("%s before the first poll: %q, want %q", sel, got, want)
		}
	}
	var emptyShown, loadingShown bool
	f.js(`!document.getElementById("empty").hidden`, &emptyShown)
	f.js(`!document.getElementById("journal-loading").hidden`, &loadingShown)
	if emptyShown || !loadingShown {
		t.Errorf("before the first poll: \"No requests yet\" shown %v, loading shown %v", emptyShown, loadingShown)
	}
	open()
	f.wait("the first poll", `verbexUI.ready`)
	f.wait("the loaded panels", `document.getElementById("faults").textContent === "No fault rules in this session." && !document.getElementById("empty").hidden && document.getElementById("journal-loading").hidden && document.querySelectorAll("#numbers article").length > 0`)
}

// TestBrowserFaultSource: a fault asked for with Prefer: code=500 is labelled as the
// Prefer header's, one asked for with X-Verbex-Mock-Fault as that header's.
func TestBrowserFaultSource(t *testing.T) {
	f := serve(t, mock.Options{}, false)
	f.patch("", sipID, `{}`, map[string]string{"Prefer": "code=500"})
	f.patch("", sipID, `{}`, map[string]string{mock.FaultHeader: "404"})
	f.open("")
	f.wait("two rows", `document.querySelectorAll("#journal > li").length === 2`)
	f.expand(1)
	if got := f.text(`#journal details[data-seq="1"] .fault-line`); !strings.Contains(got, "Prefer: code=500") || !strings.Contains(got, "Prefer header") || strings.Contains(got, "X-Verbex-Mock-Fault") {
		t.Errorf("Prefer fault labelled %q", got)
	}
	f.expand(2)
	if got := f.text(`#journal details[data-seq="2"] .fault-line`); !strings.Contains(got, "X-Verbex-Mock-Fault header") {
		t.Errorf("header fault labelled %q", got)
	}
}
