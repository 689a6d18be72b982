package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestContractRunQuiet: --quiet leaves the report only, without a line per scenario
// or the status line; without it the scenario lines are printed as they end.
func TestContractRunQuiet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		quiet     bool
		wantLines bool
	}{
		{"progress by default", false, true},
		{"quiet", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, target := servedFake(t, nil)
			args := []string{"contract", "run", "--target", target, "--states", "/__admin/states", "--generate", "0", "--run", "^a string sets"}
			if tt.quiet {
				args = append(args, "--quiet")
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, &stdout, &stderr, env()); code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
			if got := strings.Contains(stdout.String(), "PASSED  a string sets"); got != tt.wantLines {
				t.Errorf("a line per scenario printed: %v, want %v\n%s", got, tt.wantLines, stdout.String())
			}
			if !strings.Contains(stdout.String(), "1 passed, 0 failed, 0 skipped, 0 errors") {
				t.Errorf("stdout lacks the summary:\n%s", stdout.String())
			}
			if tt.quiet && strings.Contains(stderr.String(), "progress:") {
				t.Errorf("--quiet printed a status line:\n%s", stderr.String())
			}
		})
	}
}
