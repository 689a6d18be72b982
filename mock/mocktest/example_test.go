package mocktest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// exampleT stands in for the *testing.T a test function gets: an Example has none.
// In a test, pass t itself.
type exampleT struct {
	testing.TB
	name     string
	cleanups []func()
}

func newT(name string) *exampleT                      { return &exampleT{name: name} }
func (t *exampleT) Name() string                      { return t.name }
func (t *exampleT) Helper()                           {}
func (t *exampleT) Failed() bool                      { return false }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// end runs the cleanups, as the testing package does when a test ends.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// One server per test: the Server's helpers use the default session and report to
// the test that made the server.
func ExampleNewServer() {
	t := newT("TestRename") // in a test: the *testing.T
	defer t.end()

	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.IDs["sip"][0]
	status, _ := fake.Patch(id, `{"friendly_name":"Front desk","outbound_agent_id":null}`)
	fmt.Println(status, fake.Field(id, "friendly_name"), fake.Field(id, "outbound_agent_id"))

	// The next update fails once: the code under test should retry.
	fake.AddFault(mock.FaultRule{Status: 500, Times: 1})
	first, _ := fake.Patch(id, `{}`)
	retry, _ := fake.Patch(id, `{}`)
	fmt.Println(first, retry, len(fake.Requests()))
	// Output:
	// 200 Front desk <nil>
	// 500 200 3
}

// One shared server, a handle per subtest. In a test:
//
//	fake := mocktest.NewServer(t, mock.Options{})
//	for _, name := range names {
//		t.Run(name, func(t *testing.T) {
//			t.Parallel()
//			h := fake.For(t)
//			…
//		})
//	}
func ExampleServer_For() {
	t := newT("TestNumbers")
	defer t.end()
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.IDs["pia"][0]

	for _, name := range []string{"Sales", "Support"} {
		sub := newT("TestNumbers/" + name) // in a test: the subtest's t
		h := fake.For(sub)

		// h.Client() carries the session: hand it to the code under test.
		req, _ := http.NewRequest(http.MethodPatch, h.URL+"/v1/phone-numbers/"+id, strings.NewReader(`{"friendly_name":"`+name+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.Client().Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()

		fmt.Println(h.SessionName, resp.StatusCode, h.Field(id, "friendly_name"), len(h.Requests()))
		sub.end()
	}
	// The default session saw none of it.
	fmt.Println(fake.Field(id, "friendly_name"), len(fake.Requests()))
	// Output:
	// TestNumbers/Sales#1 200 Sales 1
	// TestNumbers/Support#2 200 Support 1
	// London sales 0
}
