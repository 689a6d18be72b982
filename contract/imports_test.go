package contract_test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists a package's transitive imports outside the standard library, test files
// excluded.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list imports with")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The runner judges any implementation, the fake included: it speaks the fake's
// protocol through the leaf package and never links the fake itself.
func TestRunnerDoesNotImportTheFake(t *testing.T) {
	t.Parallel()
	for _, d := range deps(t, "github.com/verbex/verbex-mock/contract") {
		if d == "github.com/verbex/verbex-mock/mock" || d == "github.com/verbex/verbex-mock/mock/mocktest" {
			t.Errorf("contract imports %s", d)
		}
	}
}

func TestProtocolIsALeaf(t *testing.T) {
	t.Parallel()
	for _, d := range deps(t, "github.com/verbex/verbex-mock/mock/protocol") {
		if d != "github.com/verbex/verbex-mock/mock/protocol" {
			t.Errorf("protocol imports %s; it must stay on the standard library", d)
		}
	}
}
