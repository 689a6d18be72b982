// This file uses only the public API, the way a user's test does.
package mocktest_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
	"github.com/verbex/verbex-mock/mock/spec"
)

func TestUserStory(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	sip := fake.IDs["sip"][0]
	if len(fake.IDs["pia"]) < 2 || len(fake.IDs["twilio"]) < 2 {
		t.Fatalf("seeded ids %v", fake.IDs)
	}
	if status, body := fake.Patch(sip, `{"friendly_name":"Front desk","outbound_agent_id":null}`); status != 200 || !strings.Contains(body, `"friendly_name":"Front desk"`) {
		t.Fatalf("PATCH: %d %s", status, body)
	}
	if got := fake.Field(sip, "outbound_agent_id"); got != nil {
		t.Errorf("outbound_agent_id = %v, want cleared", got)
	}
	// The client under test must handle a 500 once, then succeed.
	fake.AddFault(mock.FaultRule{Status: 500, Times: 1})
	if status, _ := fake.Patch(sip, `{}`); status != 500 {
		t.Errorf("first call %d, want 500", status)
	}
	if status, _ := fake.Patch(sip, `{}`); status != 200 {
		t.Errorf("retry %d, want 200", status)
	}
	made := fake.SetState("a Twilio number exists", map[string]any{"friendly_name": "Ops"})
	if status, body := fake.Patch(made.PhoneNumberID, `{}`); status != 200 || !strings.Contains(body, `"Ops"`) {
		t.Errorf("state number: %d %s", status, body)
	}
	if n := len(fake.Requests()); n != 4 {
		t.Errorf("journal has %d requests, want 4", n)
	}
	resp, err := fake.Client().Get(fake.URL + "/__admin/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %v", err)
	}
	resp.Body.Close()
}

// TestParallelServersAreIsolated: fakes in parallel tests share nothing.
func TestParallelServersAreIsolated(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fake := mocktest.NewServer(t, mock.Options{})
			id := fake.IDs["pia"][0]
			fake.Patch(id, `{"friendly_name":"mine"}`)
			if got := fake.Field(id, "friendly_name"); got != "mine" {
				t.Errorf("friendly_name %v", got)
			}
			if n := len(fake.Requests()); n != 1 {
				t.Errorf("journal has %d entries, want only this fake's 1", n)
			}
		}()
	}
	wg.Wait()
}

func TestBadOptionsFailTheTest(t *testing.T) {
	t.Parallel()
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		mocktest.NewServer(ft, mock.Options{Fixtures: []byte("phone_numbers: [1]")})
	}()
	if !strings.Contains(ft.msg, "record 1") {
		t.Errorf("Fatalf message %q", ft.msg)
	}
}

// fatalRecorder records Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal") // stands in for runtime.Goexit, recovered by the caller
}

// TestOwnDocumentNeedsOpenAPI: this test binary links neither libopenapi nor the
// validator (TestNoOpenAPILibrary), so a document of the test's own is refused with
// the import that loads it; the embedded one is served precompiled. The tests that
// serve documents of their own are in package owndoc.
func TestOwnDocumentNeedsOpenAPI(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(fixtures.OpenAPI()), "Verbex Platform API", "Verbex Platform API (copy)", 1)
	_, err := mock.New(mock.Options{Spec: []byte(doc)})
	if !errors.Is(err, spec.ErrNeedsOpenAPI) || !strings.Contains(err.Error(), "mock/spec/openapi") {
		t.Errorf("New: %v, want spec.ErrNeedsOpenAPI naming the import", err)
	}
	if _, err := mock.New(mock.Options{Spec: fixtures.OpenAPI()}); err != nil {
		t.Errorf("New with the embedded document: %v", err)
	}
}
