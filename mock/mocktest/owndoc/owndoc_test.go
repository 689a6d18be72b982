package owndoc_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
	"github.com/verbex/verbex-mock/mock/spec"
	_ "github.com/verbex/verbex-mock/mock/spec/openapi"
)

// offDocument is the embedded document with a 404 that requires a "code" the fake
// never sends: its 404s are off this document.
func offDocument() []byte {
	return []byte(strings.Replace(string(fixtures.OpenAPI()), "      required:\n        - error\n        - message\n", "      required:\n        - error\n        - message\n        - code\n", 1))
}

// errorRecorder records Errorf instead of failing the test.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (e *errorRecorder) Errorf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, fmt.Sprintf(format, args...))
}

func (e *errorRecorder) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.msgs...)
}

// TestSelfCheckFailsTheTest: an answer off the document is reported to the test.
func TestSelfCheckFailsTheTest(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	fake := mocktest.NewServer(rec, mock.Options{Spec: offDocument()})
	fake.Patch(fake.IDs["sip"][0], `{}`) // on the document
	if msgs := rec.messages(); len(msgs) != 0 {
		t.Fatalf("an on-document answer was reported: %v", msgs)
	}
	fake.Patch("000000000000000000000000", `{}`) // a 404 without the required "code"
	if msgs := rec.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "off the document") {
		t.Errorf("reported %v", msgs)
	}
}

// TestSelfCheckFailsTheHandlesTest: an answer off the document in a handle's session
// fails the handle's test, not the test that made the server.
func TestSelfCheckFailsTheHandlesTest(t *testing.T) {
	t.Parallel()
	owner, sub := &errorRecorder{TB: t}, &errorRecorder{TB: t}
	fake := mocktest.NewServer(owner, mock.Options{Spec: offDocument()})
	fake.For(sub).Patch("000000000000000000000000", `{}`)
	if msgs := sub.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "off the document") {
		t.Errorf("the handle's test got %v", msgs)
	}
	if msgs := owner.messages(); len(msgs) != 0 {
		t.Errorf("the server's test got %v", msgs)
	}
}

// TestSelfCheckOff: SelfCheck(false) serves without checking answers.
func TestSelfCheckOff(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	fake := mocktest.NewServer(rec, mock.Options{Spec: offDocument()}, mocktest.SelfCheck(false))
	if status, _ := fake.Patch("000000000000000000000000", `{}`); status != 404 {
		t.Errorf("status %d", status)
	}
	if msgs := rec.messages(); len(msgs) != 0 {
		t.Errorf("errors with the self-check off: %v", msgs)
	}
}

// TestDocumentNeedingTheLibraryIsRefused: this test binary links libopenapi (package
// openapi) but not libopenapi-validator (package fullcheck), so a document whose
// request schema needs the validator is refused with the import that fixes it rather
// than served half-checked.
func TestDocumentNeedingTheLibraryIsRefused(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(fixtures.OpenAPI()), "            - type: string\n            - type: 'null'\n          title: Inbound Agent Id",
		"            - type: string\n              format: email\n            - type: 'null'\n          title: Inbound Agent Id", 1)
	_, err := mock.New(mock.Options{Spec: []byte(doc)})
	if !errors.Is(err, spec.ErrNeedsFullCheck) || !strings.Contains(err.Error(), "format at ") || !strings.Contains(err.Error(), "mock/spec/fullcheck") {
		t.Errorf("New: %v, want spec.ErrNeedsFullCheck naming format and the import", err)
	}
}
