package mocktest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoOpenAPILibrary: mocktest, and its own test binary (which serves only the
// embedded document, compiled ahead of time), build neither libopenapi nor
// libopenapi-validator: a Go test on the embedded document pays for neither.
func TestNoOpenAPILibrary(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list imports with")
	}
	for _, args := range [][]string{
		{"list", "-deps", "github.com/verbex/verbex-mock/mock/mocktest"},
		{"list", "-deps", "-test", "github.com/verbex/verbex-mock/mock/mocktest"},
	} {
		out, err := exec.Command(gobin, args...).Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(string(out), "github.com/verbex/verbex-mock/mock/mocktest\n") {
			t.Fatalf("go %s does not list mocktest itself", strings.Join(args, " "))
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasPrefix(pkg, "github.com/pb33f/libopenapi") {
				t.Errorf("go %s: mocktest builds %s", strings.Join(args, " "), pkg)
			}
		}
	}
}
