package contract_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract"
)

// TestSkipReasonsNameRealFlags: every flag a skip reason suggests is one the contract
// command has (its help, kept by the golden test of package cmd/verbex-mock).
func TestSkipReasonsNameRealFlags(t *testing.T) {
	t.Parallel()
	help, err := os.ReadFile("../cmd/verbex-mock/testdata/help-contract-run.golden")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(--[a-z][a-z-]*)`).FindAllStringSubmatch(string(help), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 10 {
		t.Fatalf("only %d flags read from the help: %v", len(flags), flags)
	}
	named := regexp.MustCompile(`--[a-z][a-z-]*`)
	for _, reason := range contract.SkipReasons() {
		for _, f := range named.FindAllString(reason, -1) {
			if !flags[f] {
				t.Errorf("%q names %s, which contract run does not have", reason, f)
			}
		}
		if !strings.Contains(reason, "--") && !strings.Contains(reason, "two") {
			t.Errorf("%q suggests no flag", reason)
		}
	}
}

// TestDryRunSaysWhatTheRunSays: a scenario needing a number no flag named is skipped
// with the same reason in the dry run and in the run.
func TestDryRunSaysWhatTheRunSays(t *testing.T) {
	t.Parallel()
	_, ts, _ := servedFake(t)
	reasons := map[bool]map[string]string{}
	for _, dry := range []bool{true, false} {
		rep, err := contract.Run(t.Context(), contract.Config{Target: ts.URL, SIPID: "6650a1f2c3d4e5f6a7b8c901", DryRun: dry, Generate: -1})
		if err != nil {
			t.Fatal(err)
		}
		reasons[dry] = map[string]string{}
		for _, s := range rep.Scenarios {
			if r, ok := strings.CutPrefix(s.Reason, "dry run: would be skipped: "); ok || (!dry && s.Status == contract.StatusSkipped) {
				if !dry {
					r = s.Reason
				}
				reasons[dry][s.File] = r
			}
		}
	}
	same := 0
	for file, r := range reasons[false] {
		if !strings.Contains(r, "--id") {
			continue
		}
		if reasons[true][file] != r {
			t.Errorf("%s: dry run %q, run %q", file, reasons[true][file], r)
		}
		same++
	}
	if same == 0 {
		t.Fatalf("no scenario was skipped for a missing number: %v", reasons[false])
	}
}
