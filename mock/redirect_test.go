package mock

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// TestRedirectReference replays testdata/reference/redirects.json: status and Location
// of Starlette's own router (redirect_slashes, URL(scope=…), RedirectResponse, run by
// redirects.py) for raw request targets, each named by the Starlette rule it shows.
func TestRedirectReference(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/reference/redirects.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Rule, Method, Target, Location string
			Status                         int
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 30 {
		t.Fatalf("redirect corpus has %d cases", len(ref.Cases))
	}
	s := newServer(t, Options{JournalSize: -1})
	for _, c := range ref.Cases {
		// The targets are raw bytes, stored one rune per byte (latin-1).
		raw := make([]byte, 0, len(c.Target))
		for _, r := range c.Target {
			raw = append(raw, byte(r))
		}
		target := string(raw)
		t.Run(c.Rule+"/"+c.Method+" "+target, func(t *testing.T) {
			t.Parallel()
			got := serve(t, s, req{method: c.Method, path: target, contentType: "application/json", body: []byte(`{}`)}, c.Status == 500)
			switch c.Status {
			case 0: // the route answers: not a redirect
				if got.status == http.StatusTemporaryRedirect || got.status == http.StatusNotFound && got.body == `{"detail":"Not Found"}` {
					t.Errorf("got %d %s, want the route's own answer", got.status, got.body)
				}
			default:
				if got.status != c.Status || got.header.Get("Location") != c.Location {
					t.Errorf("got %d Location %q\nwant %d Location %q", got.status, got.header.Get("Location"), c.Status, c.Location)
				}
			}
		})
	}
}

// TestRedirectWithoutHost: with no Host header (HTTP/1.0), Starlette's URL names the
// server's address, without the scheme's default port.
func TestRedirectWithoutHost(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{JournalSize: -1})
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080", "10.0.0.1:80": "http://10.0.0.1"} {
		hr := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/"+sipID+"//", nil)
		hr.Host = ""
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		hr = hr.WithContext(context.WithValue(hr.Context(), http.LocalAddrContextKey, a))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, hr)
		if want += "/v1/phone-numbers/" + sipID; rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != want {
			t.Errorf("server %s: got %d %q, want 307 %q", addr, rec.Code, rec.Header().Get("Location"), want)
		}
	}
}
