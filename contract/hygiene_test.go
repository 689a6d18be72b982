package contract_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// corruptAfter422 is a variant of the fake that, after the first 422 it answers,
// holds a number off the document (friendly_name 5, as a store that kept the
// invalid value would) until an update sets friendly_name again, or for good when
// stuck: a cause that every later case on that number would otherwise meet.
func corruptAfter422(f *mock.Server, stuck bool) http.Handler {
	var mu sync.Mutex
	done, corrupt := false, map[string]bool{}
	return wrap(func(r *http.Request, body []byte) answer {
		a := through(f, r, body)
		if !isOp(r) {
			return a
		}
		mu.Lock()
		defer mu.Unlock()
		if a.status == 422 && !done {
			done, corrupt[r.URL.Path] = true, true
			return a
		}
		if v, ok := object(r, body); ok && a.status == 200 && !stuck {
			if n, set := v.Get("friendly_name"); set && n.Kind != pyjson.Number {
				delete(corrupt, r.URL.Path)
			}
		}
		if corrupt[r.URL.Path] && a.status == 200 {
			rewriteJSON(&a, func(rec *pyjson.Value) { rec.Set("friendly_name", pyjson.NumberValue("5")) })
		}
		return a
	})
}

// TestNamedNumberHygiene: on a target without a states route, every generated case
// runs on the same named numbers. A case that leaves a number otherwise than the
// oracle is one failure; the number is restored before the next case; a number that
// cannot be restored is reported once and its later cases are skipped, saying why.
func TestNamedNumberHygiene(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		make        func(*mock.Server) http.Handler
		failed      int // generated failures
		restoreFail int // of them, reports of a number that could not be restored
	}{
		{"the fake", func(f *mock.Server) http.Handler { return f }, 0, 0},
		{"a record corrupted once", func(f *mock.Server) http.Handler { return corruptAfter422(f, false) }, 1, 0},
		{"a record corrupted for good", func(f *mock.Server) http.Handler { return corruptAfter422(f, true) }, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := contract.Run(context.Background(), contract.Config{
				Handler: tt.make(newFake(t)), Oracle: newOracle(t), Seed: 1, Generate: 120, RateSet: true,
				Scenarios: []*contract.Scenario{},
				SIPID:     "6650a1f2c3d4e5f6a7b8c901", PiaID: "6650a1f2c3d4e5f6a7b8c904", TwilioID: "6650a1f2c3d4e5f6a7b8c906",
			})
			if err != nil {
				t.Fatal(err)
			}
			g := rep.Generated
			var out strings.Builder
			_ = rep.WriteText(&out)
			restore, lostAt := 0, ""
			for _, c := range g.Cases {
				if c.Status == contract.StatusFailed && strings.Contains(c.Reason, "could not be restored") {
					restore++
					lostAt = c.ID
				}
			}
			if g.Failed != tt.failed || restore != tt.restoreFail {
				t.Fatalf("%d failures (%d could not restore), want %d (%d):\n%s", g.Failed, restore, tt.failed, tt.restoreFail, out.String())
			}
			for _, c := range g.Cases {
				if c.Status == contract.StatusSkipped && (lostAt == "" || !strings.Contains(c.Reason, "case "+lostAt)) {
					t.Errorf("case %s skipped: %s", c.ID, c.Reason)
				}
			}
		})
	}
}
