package mocktest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock/match"
)

// TestDocsAgree pins what the README and the doc comments both say: the cost of a
// fake (the figure BenchmarkNewServerFirstPatch measures) and the matchers a fault
// rule's body match takes (every one package match knows, in its order).
func TestDocsAgree(t *testing.T) {
	t.Parallel()
	readme := plain(t, "../../README.md")
	cost := regexp.MustCompile(`NewServer plus its first PATCH costs (\S+ ms) with the self-check on`)
	want := cost.FindStringSubmatch(readme)
	if want == nil {
		t.Fatalf("README.md does not give the cost of NewServer plus its first PATCH")
	}
	for _, file := range []string{"doc.go", "mocktest.go"} {
		got := cost.FindStringSubmatch(plain(t, file))
		if got == nil || got[1] != want[1] {
			t.Errorf("%s gives the cost as %v; the README says %s", file, got, want[1])
		}
	}
	if !strings.Contains(readme, "-bench NewServerFirstPatch") {
		t.Error("the README does not name the benchmark behind its figure")
	}

	matchers := regexp.MustCompile(`\$[a-z]+`)
	row := regexp.MustCompile(`(?m)^\| match \|.*$`).FindString(readme)
	if got := matchers.FindAllString(row, -1); !slices.Equal(got, match.Names()) {
		t.Errorf("README's match row lists %v, want %v", got, match.Names())
	}
	if got := matchers.FindAllString(fieldDoc(t, "../faults.go", "FaultMatch", "Body"), -1); !slices.Equal(got, match.Names()) {
		t.Errorf("FaultMatch.Body's doc comment lists %v, want %v", got, match.Names())
	}
}

// plain is a file's text without comment markers, backquotes and line breaks, so a
// sentence wrapped differently in Markdown and Go reads the same.
func plain(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("//", " ", "`", "").Replace(string(b))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "|") {
			continue // a table row stays one line
		}
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n") + "\n" + strings.Join(strings.Fields(s), " ")
}

// fieldDoc is the doc comment of a struct field in a Go file.
func fieldDoc(t *testing.T, file, typ, field string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typ {
			return true
		}
		for _, fl := range ts.Type.(*ast.StructType).Fields.List {
			for _, name := range fl.Names {
				if name.Name == field {
					doc = fl.Doc.Text()
				}
			}
		}
		return false
	})
	if doc == "" {
		t.Fatalf("%s: no doc comment on %s.%s", file, typ, field)
	}
	return doc
}
