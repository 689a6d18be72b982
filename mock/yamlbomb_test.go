package mock

import (
	"errors"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
)

// yamlBomb is a few hundred bytes of nested aliases ("billion laughs") that would
// expand to 9^9 values, under key at the given indent.
func yamlBomb(indent string) string {
	var b strings.Builder
	b.WriteString(indent + `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i, c := range "bcdefghi" {
		prev := "*" + string("abcdefgh"[i])
		b.WriteString(indent + string(c) + ": &" + string(c) + " [" + strings.TrimSuffix(strings.Repeat(prev+",", 9), ",") + "]\n")
	}
	return b.String()
}

// Start files whose aliases expand without bound are refused with the line, instead
// of taking the process's memory (on the old code: fatal error: out of memory).
func TestYAMLAliasExpansionIsBounded(t *testing.T) {
	t.Parallel()
	_, err := New(Options{FixturesName: "bomb.yaml", Fixtures: []byte("phone_numbers:\n  - _id: \"6650a1f2c3d4e5f6a7b8c9ff\"\n    provider: sip\n" + yamlBomb("    "))})
	if !errors.Is(err, yamlvalue.ErrAliasExpansion) || !strings.Contains(err.Error(), "bomb.yaml") || !strings.Contains(err.Error(), "line 9") {
		t.Errorf("fixtures: %v, want the alias bound with the file and line", err)
	}
	_, err = ParseFaultFile("bomb.yaml", []byte("faults:\n  - status: 500\n    match:\n      body:\n"+yamlBomb("        ")))
	if err == nil || !strings.Contains(err.Error(), yamlvalue.ErrAliasExpansion.Error()) || !strings.Contains(err.Error(), "bomb.yaml:10") {
		t.Errorf("faults: %v, want the alias bound with the file and line", err)
	}
}
