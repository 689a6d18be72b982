package contract_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
)

func newFake(t testing.TB) *mock.Server {
	t.Helper()
	s, err := mock.New(mock.Options{SelfCheck: true, SelfCheckFailed: func(f mock.SelfCheckFailure) {
		t.Errorf("the fake answered %s %s with %d off the document: %v", f.Method, f.Path, f.Status, f.Problems)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSuitePassesAgainstTheFake: the fake passes its own suite, nothing skipped.
func TestSuitePassesAgainstTheFake(t *testing.T) {
	t.Parallel()
	var progress bytes.Buffer
	rep, err := contract.Run(context.Background(), contract.Config{Handler: newFake(t), States: "/__admin/states", Parallel: 4, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	if !rep.OK() || rep.Skipped != 0 || rep.Passed != len(rep.Scenarios) || rep.Passed < 15 {
		t.Fatalf("%s\n%s", progress.String(), out.String())
	}
	t.Log(rep.Summary())
}
