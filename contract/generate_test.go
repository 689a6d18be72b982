package contract_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/contract/judge"
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

// nullIgnored is the mutant whose failures the shrinking tests reduce.
func nullIgnored(t testing.TB) http.Handler {
	t.Helper()
	for _, m := range mutants() {
		if m.name == "null ignored (does not clear)" {
			return m.make(newFake(t))
		}
	}
	t.Fatal("no such mutant")
	return nil
}

// TestReplayShrinksToTheCause: a generated case that fails is replayed by SEED:INDEX
// alone and reduced to the one member that matters, a null.
func TestReplayShrinksToTheCause(t *testing.T) {
	t.Parallel()
	const seed = 1
	rep := defaultRun(t, nullIgnored(t), seed)
	var failed *contract.CaseResult
	for i, c := range rep.Generated.Cases {
		if c.Status == contract.StatusFailed && c.Category == "update: set, clear, leave" {
			failed = &rep.Generated.Cases[i]
			break
		}
	}
	if failed == nil {
		t.Fatal("no set/clear case failed against a target that ignores null")
	}
	index := failed.Index
	replayed, err := contract.Run(context.Background(), contract.Config{Handler: nullIgnored(t), States: "/__admin/states", Oracle: newOracle(t), Seed: seed, Replay: &index})
	if err != nil {
		t.Fatal(err)
	}
	g := replayed.Generated
	if len(replayed.Scenarios) != 0 || len(g.Cases) != 1 || g.Cases[0].ID != failed.ID || g.Cases[0].Status != contract.StatusFailed {
		t.Fatalf("replay of %s: %d scenarios, cases %+v", failed.ID, len(replayed.Scenarios), g.Cases)
	}
	c := g.Cases[0]
	if c.Shrunk == nil || c.Rule != judge.RuleUpdate || len(c.Steps) != 1 {
		t.Fatalf("replayed case %+v", c)
	}
	body := c.Steps[0].Body
	if strings.Count(body, ":") != 1 || !strings.Contains(body, ":null}") {
		t.Errorf("shrunk body %s (from %s), want one member set to null", body, c.Shrunk.OriginalBody)
	}
	if !strings.Contains(c.Steps[0].Curl, "X-Verbex-Mock-Session: contract-") {
		t.Errorf("the curl line does not reach the case's session: %s", c.Steps[0].Curl)
	}
	t.Logf("shrunk %s to %s in %d tries, %.0f ms", c.Shrunk.OriginalBody, body, c.Shrunk.Tries, c.Shrunk.DurationMS)
}

// BenchmarkShrink is the shrinking of a typical failure: one case replayed against a
// target that ignores null, reduced to its one member.
func BenchmarkShrink(b *testing.B) {
	index := 5 // an "update: set, clear, leave" case of seed 1
	target, oracle := nullIgnored(b), newOracle(b)
	var tries int
	var shrinkMS float64
	for b.Loop() {
		rep, err := contract.Run(context.Background(), contract.Config{Handler: target, States: "/__admin/states", Oracle: oracle, Seed: 1, Replay: &index})
		if err != nil || rep.Generated.Cases[0].Shrunk == nil {
			b.Fatalf("%v %+v", err, rep.Generated.Cases)
		}
		tries += rep.Generated.Cases[0].Shrunk.Tries
		shrinkMS += rep.Generated.Cases[0].Shrunk.DurationMS
	}
	b.ReportMetric(float64(tries)/float64(b.N), "tries/op")
	b.ReportMetric(shrinkMS/float64(b.N), "shrink-ms/op")
}
