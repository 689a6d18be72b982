package match

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Mismatch is one place where a value differs from the expectation.
type Mismatch struct {
	// Path is a JSONPath into the value ($.detail[0].loc), or what the caller named.
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: expected %s, got %s", m.Path, m.Expected, m.Got)
}

// matcher is one $-key: how its argument is checked when a file is loaded, how it
// matches a value (nil when absent), and how it describes what it expects.
type matcher struct {
	check    func(arg pyjson.Value) error
	matches  func(arg pyjson.Value, got *pyjson.Value, res patterns) bool
	describe func(arg pyjson.Value) string
}

// TypeNames are the $type arguments.
var TypeNames = []string{"string", "number", "boolean", "null", "object", "array"}

var matchers = map[string]matcher{
	"$any": {
		check:    wantTrue("$any"),
		matches:  func(_ pyjson.Value, got *pyjson.Value, _ patterns) bool { return got != nil },
		describe: func(pyjson.Value) string { return "present" },
	},
	"$present": {
		check: func(arg pyjson.Value) error {
			if arg.Kind != pyjson.Bool {
				return fmt.Errorf("$present: want true or false")
			}
			return nil
		},
		matches: func(arg pyjson.Value, got *pyjson.Value, _ patterns) bool { return (got != nil) == arg.Bool },
		describe: func(arg pyjson.Value) string {
			if arg.Bool {
				return "present"
			}
			return "absent"
		},
	},
	"$absent": {
		check:    wantTrue("$absent"),
		matches:  func(_ pyjson.Value, got *pyjson.Value, _ patterns) bool { return got == nil },
		describe: func(pyjson.Value) string { return "absent" },
	},
	"$type": {
		check: func(arg pyjson.Value) error {
			if arg.Kind != pyjson.String || !slices.Contains(TypeNames, arg.Str) {
				hint := ""
				if arg.Kind == pyjson.Null {
					hint = ` (write $type: "null" in quotes: a bare null is YAML's null)`
				}
				return fmt.Errorf("$type %s: want one of %s%s", Text(arg), strings.Join(TypeNames, ", "), hint)
			}
			return nil
		},
		matches: func(arg pyjson.Value, got *pyjson.Value, _ patterns) bool {
			return got != nil && typeName(got.Kind) == arg.Str
		},
		describe: func(arg pyjson.Value) string { return "any " + arg.Str },
	},
	"$regex": {
		check: func(arg pyjson.Value) error {
			if arg.Kind != pyjson.String {
				return fmt.Errorf("$regex: want a string, got %s", Text(arg))
			}
			if len(arg.Str) > MaxPattern {
				return fmt.Errorf("$regex: %d bytes; at most %d", len(arg.Str), MaxPattern)
			}
			if _, err := regexp.Compile(arg.Str); err != nil {
				return fmt.Errorf("$regex %q: %w", arg.Str, err)
			}
			return nil
		},
		matches: func(arg pyjson.Value, got *pyjson.Value, res patterns) bool {
			re := res[arg.Str]
			return re != nil && got != nil && got.Kind == pyjson.String && re.MatchString(got.Str)
		},
		describe: func(arg pyjson.Value) string { return "a string matching /" + arg.Str + "/" },
	},
	// $exact is structural: Compare handles it; the entry makes it known to Check.
	"$exact": {check: func(pyjson.Value) error { return nil }},
}

// MaxPattern bounds a $regex pattern. Go's regexp matches in linear time, so the
// length of pattern and input bound the work.
const MaxPattern = 4096

// Names lists the matchers, sorted.
func Names() []string {
	names := make([]string, 0, len(matchers))
	for k := range matchers {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func wantTrue(name string) func(pyjson.Value) error {
	return func(arg pyjson.Value) error {
		if arg.Kind != pyjson.Bool || !arg.Bool {
			return fmt.Errorf("%s: want true", name)
		}
		return nil
	}
}

func typeName(k pyjson.Kind) string {
	if k == pyjson.Bool {
		return "boolean"
	}
	return k.String()
}

// as reports whether v is a matcher object: an object with a single $-key.
func as(v pyjson.Value) (string, pyjson.Value, bool) {
	if v.Kind != pyjson.Object || len(v.Obj) != 1 || !strings.HasPrefix(v.Obj[0].Key, "$") {
		return "", pyjson.Value{}, false
	}
	return v.Obj[0].Key, v.Obj[0].Value, true
}

// patterns are the compiled $regex arguments of one expectation.
type patterns map[string]*regexp.Regexp

// Expectation is a checked expectation, its patterns compiled once.
type Expectation struct {
	want pyjson.Value
	res  patterns
}

// Compile checks an expectation and readies it for matching. Unknown $-keys and bad
// arguments anywhere in it are refused, so that a typo is an error when the file is
// loaded rather than a rule that never matches.
func Compile(want pyjson.Value) (*Expectation, error) {
	e := &Expectation{want: want}
	if err := e.check(want); err != nil {
		return nil, err
	}
	return e, nil
}

// Value is the expectation as written.
func (e *Expectation) Value() pyjson.Value { return e.want }

func (e *Expectation) check(v pyjson.Value) error {
	if key, arg, ok := as(v); ok {
		m, known := matchers[key]
		if !known {
			return fmt.Errorf("unknown matcher %s%s (want one of %s)", key, nearest(key), strings.Join(Names(), ", "))
		}
		if err := m.check(arg); err != nil {
			return err
		}
		switch key {
		case "$exact":
			return e.check(arg)
		case "$regex":
			if e.res == nil {
				e.res = patterns{}
			}
			e.res[arg.Str] = regexp.MustCompile(arg.Str) // compiled by check already
		}
		return nil
	}
	for _, el := range v.Arr {
		if err := e.check(el); err != nil {
			return err
		}
	}
	for _, m := range v.Obj {
		if err := e.check(m.Value); err != nil {
			return fmt.Errorf("%s: %w", m.Key, err)
		}
	}
	return nil
}

// nearest suggests the known matcher closest to a misspelt one.
func nearest(key string) string {
	if best := Nearest(key, Names()); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// Nearest returns the known name closest to a misspelt one (case-insensitive, a
// prefix counts as close), or "" when none is close: the one "did you mean" of the
// project, for matchers, flags, variables, fields and states.
func Nearest(name string, known []string) string {
	lname := strings.ToLower(name)
	best, bestD := "", max(2, len(name)/4)+1
	for _, k := range known {
		lk := strings.ToLower(k)
		if lk == lname {
			return k
		}
		d := distance(lname, lk)
		if len(name) >= 3 && strings.HasPrefix(lk, lname) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between two short names.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Compare compares got (nil when absent) with the expectation and appends what
// differs. Objects are subsets unless exact; arrays must have the same length; scalars
// must be equal, JSON types included. Matchers stand for a value anywhere in it.
func (e *Expectation) Compare(path string, got *pyjson.Value, exact bool, out []Mismatch) []Mismatch {
	return e.compare(path, e.want, got, exact, out)
}

// Matches reports whether got meets the expectation exactly (objects not as subsets).
func (e *Expectation) Matches(got *pyjson.Value) bool {
	return len(e.compare("$", e.want, got, true, nil)) == 0
}

func (e *Expectation) compare(path string, want pyjson.Value, got *pyjson.Value, exact bool, out []Mismatch) []Mismatch {
	if key, arg, ok := as(want); ok {
		if key == "$exact" {
			return e.compare(path, arg, got, true, out)
		}
		if m, known := matchers[key]; known {
			if !m.matches(arg, got, e.res) {
				gotText := "absent"
				if got != nil {
					gotText = Text(*got)
				}
				out = append(out, Mismatch{path, m.describe(arg), gotText})
			}
			return out
		}
	}
	if got == nil {
		return append(out, Mismatch{path, Text(want), "absent"})
	}
	if want.Kind != got.Kind {
		return append(out, Mismatch{path, Text(want), Text(*got)})
	}
	switch want.Kind {
	case pyjson.Object:
		for _, m := range want.Obj {
			var gp *pyjson.Value
			if g, ok := got.Get(m.Key); ok {
				gp = &g
			}
			out = e.compare(path+"."+m.Key, m.Value, gp, exact, out)
		}
		if exact {
			for _, m := range got.Obj {
				if _, ok := want.Get(m.Key); !ok {
					out = append(out, Mismatch{path + "." + m.Key, "absent", Text(m.Value)})
				}
			}
		}
	case pyjson.Array:
		if len(want.Arr) != len(got.Arr) {
			return append(out, Mismatch{path, fmt.Sprintf("%d elements %s", len(want.Arr), Text(want)), fmt.Sprintf("%d elements %s", len(got.Arr), Text(*got))})
		}
		for i := range want.Arr {
			out = e.compare(path+"["+strconv.Itoa(i)+"]", want.Arr[i], &got.Arr[i], exact, out)
		}
	default:
		if !want.Equal(*got) {
			out = append(out, Mismatch{path, Text(want), Text(*got)})
		}
	}
	return out
}

// Describe says what an expectation wants, for reports.
func Describe(v pyjson.Value) string {
	if key, arg, ok := as(v); ok {
		if m, known := matchers[key]; known && m.describe != nil {
			return m.describe(arg)
		}
	}
	return Text(v)
}

// Text renders a value compactly for reports.
func Text(v pyjson.Value) string {
	b, err := pyjson.Append(nil, v)
	if err != nil {
		return fmt.Sprintf("%v", v.Interface())
	}
	return string(b)
}
