package mock

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP: whatever a client sends, the fake answers without reaching its panic
// recovery, and every answer to the operation is on the document unless it is one of
// the deliberate ones (the framework's 400 and plain 500, the 413).
func FuzzServeHTTP(f *testing.F) {
	s := newServer(f, Options{JournalSize: 10, MaxBodyBytes: 4096})
	for _, seed := range []struct{ method, path, ct, body string }{
		{"PATCH", sipID, "application/json", `{"friendly_name":"x"}`},
		{"PATCH", piaID, "application/json", `{"friendly_name":1,"twilio_auth_token":[]}`},
		{"PATCH", unknown, "application/merge-patch+json", `{"inbound_agent_id":null}`},
		{"PATCH", sipID, "text/plain", "\xff\xfe"},
		{"GET", sipID, "", ""},
		{"PATCH", sipID + "/", "application/json", `[`},
		{"PATCH", "a%2Fb", "application/json", `"\ud800"`},
		{"DELETE", "", "application/json", `NaN`},
	} {
		f.Add(seed.method, seed.path, seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, method, id, contentType string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || strings.ContainsAny(id, " ?#\x00\r\n") || strings.ContainsAny(contentType, "\r\n\x00") {
			t.Skip() // not a request net/http would deliver
		}
		r, err := http.NewRequest(method, "http://verbex-mock/v1/phone-numbers/"+id, bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if strings.Contains(rec.Body.String(), "see its log") {
			t.Fatalf("%s %q %q %q reached the panic recovery: %s", method, id, contentType, body, rec.Body)
		}
		deliberate := rec.Code == 400 || rec.Code == 413 || (rec.Code == 500 && rec.Header().Get("Content-Type") == contentPlain)
		if problems := s.Document().CheckResponse(method, r.URL.Path, rec.Code, rec.Header(), rec.Body.Bytes()); problems != nil && !deliberate {
			t.Fatalf("%s %q %q %q: %d %s is off the document: %v", method, id, contentType, body, rec.Code, rec.Body, problems)
		}
		s.Reset()
	})
}

// FuzzRequestTarget: any request line net/http parses (absolute-form, asterisk-form,
// odd escapes, any method) gets an answer without reaching the panic recovery.
func FuzzRequestTarget(f *testing.F) {
	s := newServer(f, Options{JournalSize: 10, MaxBodyBytes: 4096})
	for _, seed := range []string{
		"GET http://x HTTP/1.1", "PATCH http://x HTTP/1.1", "OPTIONS * HTTP/1.1", "GET http://x?a HTTP/1.1",
		"PATCH /v1/phone-numbers/%2F HTTP/1.1", "PATCH //v1/phone-numbers/a/ HTTP/1.1", "CONNECT x:1 HTTP/1.1",
		"PATCH /__admin/faults?session=a HTTP/1.1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(line + "\r\nHost: x\r\nContent-Length: 0\r\n\r\n")))
		if err != nil {
			t.Skip() // not a request net/http would deliver
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if strings.Contains(rec.Body.String(), "see its log") {
			t.Fatalf("%q reached the panic recovery: %s", line, rec.Body)
		}
	})
}
