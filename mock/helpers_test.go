package mock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/verbex/verbex-mock/mock/spec"
)

// Seeded ids from fixtures/phone_numbers.yaml used across the tests.
const (
	sipID    = "6650a1f2c3d4e5f6a7b8c901"
	sipBDID  = "6650a1f2c3d4e5f6a7b8c902"
	piaID    = "6650a1f2c3d4e5f6a7b8c904"
	twilioID = "6650a1f2c3d4e5f6a7b8c906"
	unknown  = "000000000000000000000000"
)

func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// req describes one request to the fake.
type req struct {
	method, path, contentType string
	body                      []byte
	header                    http.Header
}

func patch(id, body string) req {
	return req{method: http.MethodPatch, path: "/v1/phone-numbers/" + id, contentType: "application/json", body: []byte(body)}
}

// reply is a recorded answer.
type reply struct {
	status int
	header http.Header
	body   string
}

// serve sends r through the handler and checks the answer against the document:
// a response to the operation must be on it, unless offDocument says this answer is
// one the document does not list (the framework's 400, its plain 500, the 413).
func serve(t testing.TB, h *Server, r req, offDocument bool) reply {
	t.Helper()
	hr := httptest.NewRequest(r.method, "http://verbex-mock"+r.path, bytes.NewReader(r.body))
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	problems := h.Document().CheckResponse(r.method, hr.URL.Path, res.StatusCode, res.Header, body)
	switch {
	case offDocument && spec.IsOperation(r.method, hr.URL.Path) && len(problems) == 0:
		t.Errorf("%s %s: %d %s is on the document; the test expected it off", r.method, r.path, res.StatusCode, body)
	case !offDocument && len(problems) > 0:
		t.Errorf("%s %s: %d %s is off the document: %v", r.method, r.path, res.StatusCode, body, problems)
	}
	return reply{status: res.StatusCode, header: res.Header, body: string(body)}
}
