package contract_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/contract"
)

// TestRunWaitsOutA503: a run whose target refuses one request with 503 and
// Retry-After passes, and its report counts the wait as a transport note.
func TestRunWaitsOutA503(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	var once sync.Once
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused := false
		if r.Method == http.MethodPatch {
			once.Do(func() { refused = true })
		}
		if refused {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	})
	rep, err := contract.Run(context.Background(), contract.Config{Handler: target, States: "/__admin/states", Generate: -1, Run: regexp.MustCompile("^a string sets")})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	if !rep.OK() || rep.Passed != 1 || rep.Transport == nil || rep.Transport.Waited != 1 {
		t.Errorf("passed %d, transport %+v; want 1 passed and 1 wait\n%s", rep.Passed, rep.Transport, text.String())
	}
	if !strings.Contains(text.String(), "transport (not failures): ") || !strings.Contains(text.String(), "1 answers 429/503 waited out") {
		t.Errorf("the report does not count the wait:\n%s", text.String())
	}
}
