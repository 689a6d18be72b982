package codeshape

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
)

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeTable is the Markdown table that follows heading in the README: its rows
// without the header and the rule.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no heading %q", heading)
	}
	var rows [][]string
	inTable := false
	for line := range strings.Lines(after) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			continue
		}
		rows = append(rows, cells)
	}
	if len(rows) < 3 {
		t.Fatalf("README %q: only %d table rows", heading, len(rows))
	}
	return rows[1:]
}

// TestReadmeFaultFieldsAreTheCode: every JSON field of mock.FaultRule and
// mock.FaultMatch is in the README's fault-rule table, so a field added without its
// line there fails.
func TestReadmeFaultFieldsAreTheCode(t *testing.T) {
	t.Parallel()
	named := map[string]bool{}
	for _, row := range readmeTable(t, "### Fault rules") {
		for _, m := range backticked.FindAllStringSubmatch(strings.Join(row, "|"), -1) {
			named[m[1]] = true
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[mock.FaultRule](), reflect.TypeFor[mock.FaultMatch]()} {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			if !named[name] {
				t.Errorf("%s.%s (%q) is not in the README's fault-rule table", typ.Name(), f.Name, name)
			}
		}
	}
}

// TestReadmeWhereToChangeWhatIsTheCode: every path "Where to change what" and
// "Layout" name exists, and every identifier a row names is declared in a Go file
// that row names.
func TestReadmeWhereToChangeWhatIsTheCode(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	ident := regexp.MustCompile(`^[A-Za-z_]\w*(\.\w+)?$`)
	for _, heading := range []string{"## Layout", "### Where to change what"} {
		for _, row := range readmeTable(t, heading) {
			var files, names []string
			dir := ""
			for _, m := range backticked.FindAllStringSubmatch(strings.Join(row, "|"), -1) {
				tok := strings.TrimSuffix(m[1], "/")
				switch {
				case strings.Contains(tok, " "): // a command, not a path
				case strings.HasSuffix(tok, ".go") || strings.HasSuffix(tok, ".yaml") || strings.HasSuffix(tok, ".py") || strings.Contains(tok, "/") || tok == "mock" || tok == "contract" || tok == "scenarios" || tok == "fixtures":
					path := tok
					switch {
					case strings.Contains(tok, "/") || !strings.HasSuffix(tok, ".go"):
					case len(files) > 0:
						path = filepath.ToSlash(filepath.Dir(files[0])) + "/" + tok // beside the row's first file
					case dir != "":
						path = dir + "/" + tok // a file of the row's folder
					}
					if _, err := os.Stat(filepath.Join(root, path)); err != nil {
						t.Errorf("%s: %s does not exist", heading, path)
						continue
					}
					if strings.HasSuffix(path, ".go") {
						files = append(files, path)
					} else if !strings.Contains(tok, ".") {
						dir = path
					}
				case heading != "## Layout" && ident.MatchString(tok):
					names = append(names, tok)
				}
			}
			for _, name := range names {
				if !declared(t, root, files, name) {
					t.Errorf("%s: %s is declared in none of %v", heading, name, files)
				}
			}
		}
	}
}

// declared reports whether one of files declares name (a func, method, type, var,
// const or struct field; for recv.method, the method).
func declared(t *testing.T, root string, files []string, name string) bool {
	t.Helper()
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	decl := regexp.MustCompile(`(?m)^(func (\([^)]*\) )?` + name + `\b|(type|var|const) ` + name + `\b|\t` + name + `\s)`)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(b) {
			return true
		}
	}
	return false
}
