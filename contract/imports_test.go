package contract_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/verbex/verbex-mock/"

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

// The three products import in one direction: the runner (contract) and the drift
// proxy (contract/drift) both use the judge (contract/judge), which uses neither;
// the proxy does not use the runner. None of them links the fake itself: they judge
// any implementation, the fake included, and speak its protocol through the leaf
// packages (mock/protocol, mock/spec, mock/pyjson, mock/match).
func TestImportsRunOneWay(t *testing.T) {
	t.Parallel()
	fake := []string{module + "mock", module + "mock/mocktest"}
	for _, tt := range []struct {
		pkg       string
		forbidden []string
	}{
		{"contract", fake},
		{"contract/drift", append([]string{module + "contract"}, fake...)},
		{"contract/judge", append([]string{module + "contract", module + "contract/drift"}, fake...)},
	} {
		got := deps(t, module+tt.pkg)
		if !slices.Contains(got, module+tt.pkg) {
			t.Fatalf("go list -deps %s does not list the package itself: %v", tt.pkg, got)
		}
		for _, d := range got {
			if slices.Contains(tt.forbidden, d) {
				t.Errorf("%s imports %s", tt.pkg, d)
			}
		}
	}
}

func TestProtocolIsALeaf(t *testing.T) {
	t.Parallel()
	for _, d := range deps(t, module+"mock/protocol") {
		if d != module+"mock/protocol" {
			t.Errorf("protocol imports %s; it must stay on the standard library", d)
		}
	}
}
