package mock

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAdminBodylessChanges: a change without body or content type is taken from
// curl and scripts (no Origin) and from the fake's own page, and refused when a
// browser sends it from another origin, which it can do without a preflight.
// Bodies still need JSON.
func TestAdminBodylessChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, ct, body string
		header                       map[string]string
		want                         int
	}{
		{"curl reset", "POST", "/__admin/reset", "", "", nil, 204},
		{"curl clear faults", "DELETE", "/__admin/faults", "", "", nil, 204},
		{"curl clear journal", "DELETE", "/__admin/requests", "", "", nil, 204},
		{"server-side fetch", "POST", "/__admin/reset", "", "", map[string]string{"User-Agent": "node"}, 204},
		{"the fake's own page", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://fake.test:8080", "Sec-Fetch-Site": "same-origin"}, 204},
		{"same origin, old browser", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://fake.test:8080"}, 204},
		{"typed in the address bar", "POST", "/__admin/reset", "", "", map[string]string{"Sec-Fetch-Site": "none"}, 204},
		{"cross-site page", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site, Origin only", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://evil.example"}, 403},
		{"cross-site, Sec-Fetch-Site only", "POST", "/__admin/reset", "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same site, other port", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://fake.test:3000", "Sec-Fetch-Site": "same-site"}, 403},
		{"same site, other port, Origin only", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://fake.test:3000"}, 403},
		{"same host, other scheme", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "https://fake.test:8080"}, 403},
		{"sandboxed page", "DELETE", "/__admin/faults", "", "", map[string]string{"Origin": "null"}, 403},
		{"same origin but the browser says same-site", "POST", "/__admin/reset", "", "", map[string]string{"Origin": "http://fake.test:8080", "Sec-Fetch-Site": "same-site"}, 403},
		{"a body as text", "POST", "/__admin/faults", "text/plain", `{"status":500}`, nil, 415},
		{"a body without a type", "POST", "/__admin/faults", "", `{"status":500}`, nil, 415},
		{"an empty text body", "POST", "/__admin/reset", "text/plain", "", nil, 415},
		{"a form from another origin", "POST", "/__admin/faults", "application/x-www-form-urlencoded", "status=500", map[string]string{"Origin": "http://evil.example"}, 415},
		{"JSON", "POST", "/__admin/faults", "application/json", `{"status":500}`, nil, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{})
			r := httptest.NewRequest(tt.method, "http://fake.test:8080"+tt.path, strings.NewReader(tt.body))
			if tt.body == "" {
				r.ContentLength = 0
			}
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, w.Code, w.Body, tt.want)
			}
			if tt.want == http.StatusForbidden && !strings.Contains(w.Body.String(), `"error":"origin_not_allowed"`) {
				t.Errorf("403 body %s", w.Body)
			}
		})
	}
}
