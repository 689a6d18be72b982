package mock

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
)

// TestNullOffResponseSchema: in a document whose update allows null for a field its
// response schema does not (here GetSIPPhoneNumberResponse.friendly_name made a plain
// string), a null is stored and answered as stored, as the service's handler answers
// the record it stored; the journal marks the answer off the document, the
// self-check does not count it as a mistake, and a start-up warning names the field.
func TestNullOffResponseSchema(t *testing.T) {
	t.Parallel()
	doc := string(fixtures.OpenAPI())
	at := strings.Index(doc, "    GetSIPPhoneNumberResponse:")
	nullable := "        friendly_name:\n          anyOf:\n            - type: string\n            - type: 'null'\n"
	i := strings.Index(doc[at:], nullable)
	if at < 0 || i < 0 {
		t.Fatal("the embedded document changed: GetSIPPhoneNumberResponse.friendly_name not found")
	}
	doc = doc[:at+i] + "        friendly_name:\n          type: string\n" + doc[at+i+len(nullable):]
	var logs bytes.Buffer
	var failures []SelfCheckFailure
	seed := strings.ReplaceAll(string(fixtures.PhoneNumbers()), "friendly_name: null", "friendly_name: seeded")
	s := newServer(t, Options{Spec: []byte(doc), Fixtures: []byte(seed), SelfCheck: true, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		SelfCheckFailed: func(f SelfCheckFailure) { failures = append(failures, f) }})
	if !strings.Contains(logs.String(), "GetSIPPhoneNumberResponse.friendly_name") {
		t.Errorf("no start-up warning names the field:\n%s", logs.String())
	}
	for _, body := range []string{`{"friendly_name":null}`, `{}`} {
		got := serve(t, s, patch(sipID, body), true)
		if got.status != 200 || !strings.Contains(got.body, `"friendly_name":null`) {
			t.Fatalf("%s: %d %s, want 200 with the stored null", body, got.status, got.body)
		}
	}
	if got := serve(t, s, patch(sipID, `{"friendly_name":"back"}`), false); got.status != 200 || !strings.Contains(got.body, `"friendly_name":"back"`) {
		t.Fatalf("a string again: %d %s", got.status, got.body)
	}
	entries := s.Session("").Requests()
	var marks []bool
	for _, e := range entries {
		marks = append(marks, e.OffDocument)
	}
	if len(marks) != 3 || !marks[0] || !marks[1] || marks[2] {
		t.Errorf("journal off_document marks %v, want [true true false]", marks)
	}
	if len(failures) > 0 {
		t.Errorf("self-check counted the deliberate answer as a mistake: %+v", failures)
	}
	if p, _ := s.PhoneNumber(sipID); p.Fields["friendly_name"] != "back" {
		t.Errorf("stored %v", p.Fields["friendly_name"])
	}
}
