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
func defaultRun(t testing.TB, target http.Handler, seed uint64) *contract.Report {
	t.Helper()
	rep, err := contract.Run(context.Background(), contract.Config{Handler: target, States: "/__admin/states", Parallel: 4, Oracle: newOracle(t), Seed: seed})
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

// BenchmarkDefaultRun is a whole default run (17 scenarios, 300 generated cases and
// the probe) against the served fake; cases/s counts the generated cases.
func BenchmarkDefaultRun(b *testing.B) {
	fake := newFake(b)
	oracle := newOracle(b)
	cases := 0
	for b.Loop() {
		rep, err := contract.Run(context.Background(), contract.Config{Handler: fake, States: "/__admin/states", Parallel: 4, Oracle: oracle, Seed: 1})
		if err != nil || !rep.OK() {
			b.Fatalf("%v %s", err, rep.Summary())
		}
		cases += len(rep.Generated.Cases)
	}
	b.ReportMetric(float64(cases)/b.Elapsed().Seconds(), "cases/s")
}
