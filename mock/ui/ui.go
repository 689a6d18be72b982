// Package ui is the live page of the fake, served at /__admin/ui: the journal, the
// fault rules and the phone numbers of a session, updated as requests arrive.
//
// The page is one embedded HTML file with its CSS and JavaScript inline: no build step,
// no external assets, so it works offline and inside CI artefacts. It reads and changes
// the fake only through the admin routes (anything it shows, a script can get), so it
// needs nothing from the fake's internals; the fake mounts Handler on its router.
package ui

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// Path is where the fake serves the page.
const Path = "/__admin/ui"

//go:embed ui.html
var page []byte

// The Content-Security-Policy allows exactly the inline script and style of the page
// (by hash) and requests to its own origin: request data that slipped past the page's
// escaping still could not run or send anything anywhere.
var (
	csp  = mustCSP(page)
	etag = func() string {
		s := sha256.Sum256(page)
		return `"` + base64.RawURLEncoding.EncodeToString(s[:12]) + `"`
	}()
)

// Page returns the page's bytes.
func Page() []byte { return bytes.Clone(page) }

// Handler serves the page to GET and HEAD and answers 405 to anything else, in the
// admin routes' shape.
func Handler() http.Handler { return handler{} }

type handler struct{}

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache") // revalidated by ETag: a new binary serves its own page
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(page))
}

// mustCSP builds the policy from the page's one <style> and one <script>.
func mustCSP(p []byte) string {
	style, err := inline(p, "style")
	if err != nil {
		panic(err)
	}
	script, err := inline(p, "script")
	if err != nil {
		panic(err)
	}
	return "default-src 'none'; script-src " + hash(script) + "; style-src " + hash(style) +
		"; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func inline(p []byte, tag string) ([]byte, error) {
	open, closing := []byte("<"+tag+">"), []byte("</"+tag+">")
	if bytes.Count(p, open) != 1 || bytes.Count(p, closing) != 1 {
		return nil, fmt.Errorf("ui: the page must have exactly one <%s>", tag)
	}
	_, rest, _ := bytes.Cut(p, open)
	body, _, _ := bytes.Cut(rest, closing)
	return body, nil
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(s[:]) + "'"
}
