package contract_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
)

// newOracle is the in-process fake the runner compares the target with.
func newOracle(t testing.TB) *mock.Server {
	t.Helper()
	s, err := mock.New(mock.Options{JournalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// defaultRun is contract run as a user runs it against a target with a states
// route: every scenario, 300 generated cases, the concurrency probe.
func defaultRun(t testing.TB, target any, seed uint64) *contract.Report {
	t.Helper()
	cfg := contract.Config{States: "/__admin/states", Parallel: 4, Oracle: newOracle(t), Seed: seed}
	switch tg := target.(type) {
	case string:
		cfg.Target = tg
	default:
		cfg.Handler = target.(httpHandler)
	}
	rep, err := contract.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGeneratedAgainstTheFake(t *testing.T) {
	t.Parallel()
	rep := defaultRun(t, newFake(t), 1)
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	t.Log(out.String())
	if !rep.OK() || rep.SkippedAny() != 0 || rep.Generated == nil || rep.Generated.Passed < 300 {
		t.Fatalf("%s", out.String())
	}
}

type httpHandler = interface {
	ServeHTTP(http.ResponseWriter, *http.Request)
}
