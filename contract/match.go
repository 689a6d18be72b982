package contract

import (
	matchers "github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Mismatch is one place where an answer differs from the expectation: a JSONPath into
// the body ($.detail[0].loc), or "header X".
type Mismatch = matchers.Mismatch

// checkMatchers refuses unknown $-keys and bad arguments when a scenario is loaded:
// the matchers are the table in package match, which fault rules use too.
func checkMatchers(v pyjson.Value) error {
	_, err := matchers.Compile(v)
	return err
}

// match compares got (nil when absent) with a rendered expectation. Objects are
// subsets unless exact; arrays must have the same length; scalars must be equal, JSON
// types included.
func match(path string, want pyjson.Value, got *pyjson.Value, exact bool, out []Mismatch) []Mismatch {
	e, err := matchers.Compile(want)
	if err != nil { // checked when the scenario was loaded; a template may have made it wrong
		return append(out, Mismatch{Path: path, Expected: "a valid expectation (" + err.Error() + ")", Got: text(want)})
	}
	return e.Compare(path, got, exact, out)
}

// text renders a value compactly for reports.
func text(v pyjson.Value) string { return matchers.Text(v) }
