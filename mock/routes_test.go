package mock

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/verbex/verbex-mock/mock/spec"
)

// TestOperationRouteAsRouter: dispatch sends the operation's paths to their route
// without the router; on every path the router would have picked that route, with
// that id, and on no other.
func TestOperationRouteAsRouter(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	for _, path := range []string{
		"/v1/phone-numbers/abc", "/v1/phone-numbers/", "/v1/phone-numbers", "/v1/phone-numbers/a/b",
		"/v1/phone-numbers/a/", "/v1/phone-numbers//", "/v1/phone-numbers//a", "/v1/phone-numbers/.",
		"/v1/phone-numbers/..", "/v1/phone-numbers/a\nb", "/v1/phone-numbers/\xff\x00", "/v1/phone-numbers/ ",
		"/V1/phone-numbers/a", "//v1/phone-numbers/a", "/v1/phone-numbers/a?b", "/v1/phone-numbers/{phone_number_id}",
		"/v1/phone-numbersx/a", "v1/phone-numbers/a", "/v1/phone-numbers/%2F", "/__admin/requests", "/openapi.json",
	} {
		for _, method := range []string{http.MethodPatch, http.MethodGet} {
			r := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}}
			var m mux.RouteMatch
			routed := s.router.Match(r, &m) && m.Route != nil && m.Route.GetName() == spec.Path
			id, ok := spec.OperationID(path)
			if ok != routed || ok && id != m.Vars["phone_number_id"] {
				t.Errorf("%s %q: OperationID %q %v, router %v %q", method, path, id, ok, routed, m.Vars["phone_number_id"])
			}
		}
	}
}

// The header names read with get are in canonical form, as net/http stores them.
func TestHeaderKeysCanonical(t *testing.T) {
	t.Parallel()
	for _, k := range []string{hdrContentType, hdrPrefer, FaultHeader, SessionHeader} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("%q is stored as %q", k, c)
		}
	}
}

// Every answer carries the Date of its second, formatted once a second.
func TestDateHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	before := time.Now().Truncate(time.Second)
	r := serve(t, s, patch(sipID, `{"friendly_name":"d"}`), false)
	after := time.Now()
	got, err := http.ParseTime(r.header.Get("Date"))
	if err != nil || got.Before(before) || got.After(after) {
		t.Errorf("Date %q (%v), want the time of the answer, between %v and %v", r.header.Get("Date"), err, before, after)
	}
	base := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{base, base.Add(999 * time.Millisecond), base.Add(time.Second), base.Add(time.Hour), base} {
		if got, want := dateHeader(at)[0], at.Format(http.TimeFormat); got != want {
			t.Errorf("at %v: %s, want %s", at, got, want)
		}
	}
}
