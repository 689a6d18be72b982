package contract

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Mismatch is one place where an answer differs from the expectation.
type Mismatch struct {
	// Path is a JSONPath into the body ($.detail[0].loc), or "header X".
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: expected %s, got %s", m.Path, m.Expected, m.Got)
}

var matcherKeys = []string{"$any", "$type", "$regex", "$absent", "$exact"}

var typeNames = []string{"string", "number", "boolean", "null", "object", "array"}

// asMatcher reports whether v is a matcher object: a single $-key from matcherKeys.
func asMatcher(v pyjson.Value) (string, pyjson.Value, bool) {
	if v.Kind != pyjson.Object || len(v.Obj) != 1 || !strings.HasPrefix(v.Obj[0].Key, "$") {
		return "", pyjson.Value{}, false
	}
	return v.Obj[0].Key, v.Obj[0].Value, true
}

// checkMatchers refuses unknown $-keys and bad arguments when a scenario is loaded.
func checkMatchers(v pyjson.Value) error {
	if key, arg, ok := asMatcher(v); ok {
		switch key {
		case "$any", "$absent":
			if arg.Kind != pyjson.Bool || !arg.Bool {
				return fmt.Errorf("%s: want true", key)
			}
		case "$type":
			if !slices.Contains(typeNames, arg.Str) {
				return fmt.Errorf("$type %q: want one of %s", arg.Str, strings.Join(typeNames, ", "))
			}
		case "$regex":
			if _, err := regexp.Compile(arg.Str); err != nil || arg.Kind != pyjson.String {
				return fmt.Errorf("$regex %q: %v", arg.Str, err)
			}
		case "$exact":
		default:
			return fmt.Errorf("unknown matcher %s (want one of %s)", key, strings.Join(matcherKeys, ", "))
		}
		return nil
	}
	for _, e := range v.Arr {
		if err := checkMatchers(e); err != nil {
			return err
		}
	}
	for _, m := range v.Obj {
		if err := checkMatchers(m.Value); err != nil {
			return err
		}
	}
	return nil
}

// match compares got (nil when absent) with an expectation. Objects are subsets
// unless exact; arrays must have the same length; scalars must be equal, JSON types
// included.
func match(path string, want pyjson.Value, got *pyjson.Value, exact bool, out []Mismatch) []Mismatch {
	if key, arg, ok := asMatcher(want); ok {
		switch key {
		case "$absent":
			if got != nil {
				return append(out, Mismatch{path, "absent", text(*got)})
			}
			return out
		case "$exact":
			return match(path, arg, got, true, out)
		}
		if got == nil {
			return append(out, Mismatch{path, describe(want), "absent"})
		}
		switch key {
		case "$any":
		case "$type":
			if got.Kind.String() != arg.Str && !(arg.Str == "boolean" && got.Kind == pyjson.Bool) {
				return append(out, Mismatch{path, "any " + arg.Str, text(*got)})
			}
		case "$regex":
			if got.Kind != pyjson.String || !regexp.MustCompile(arg.Str).MatchString(got.Str) {
				return append(out, Mismatch{path, "a string matching /" + arg.Str + "/", text(*got)})
			}
		}
		return out
	}
	if got == nil {
		return append(out, Mismatch{path, text(want), "absent"})
	}
	if want.Kind != got.Kind {
		return append(out, Mismatch{path, text(want), text(*got)})
	}
	switch want.Kind {
	case pyjson.Object:
		for _, m := range want.Obj {
			g, ok := got.Get(m.Key)
			var gp *pyjson.Value
			if ok {
				gp = &g
			}
			out = match(path+"."+m.Key, m.Value, gp, exact, out)
		}
		if exact {
			for _, m := range got.Obj {
				if _, ok := want.Get(m.Key); !ok {
					out = append(out, Mismatch{path + "." + m.Key, "absent", text(m.Value)})
				}
			}
		}
	case pyjson.Array:
		if len(want.Arr) != len(got.Arr) {
			return append(out, Mismatch{path, fmt.Sprintf("%d elements %s", len(want.Arr), text(want)), fmt.Sprintf("%d elements %s", len(got.Arr), text(*got))})
		}
		for i := range want.Arr {
			out = match(path+"["+strconv.Itoa(i)+"]", want.Arr[i], &got.Arr[i], exact, out)
		}
	default:
		if !want.Equal(*got) {
			out = append(out, Mismatch{path, text(want), text(*got)})
		}
	}
	return out
}

func describe(v pyjson.Value) string {
	if key, arg, ok := asMatcher(v); ok {
		switch key {
		case "$any":
			return "present"
		case "$type":
			return "any " + arg.Str
		case "$regex":
			return "a string matching /" + arg.Str + "/"
		}
	}
	return text(v)
}

// text renders a value compactly for reports; what JSON cannot hold (NaN, a lone
// surrogate) is written as Python's json.loads read it.
func text(v pyjson.Value) string {
	b, err := pyjson.Append(nil, v)
	if err != nil {
		return string(appendLoose(nil, v))
	}
	return string(b)
}

func appendLoose(dst []byte, v pyjson.Value) []byte {
	switch v.Kind {
	case pyjson.Number:
		return append(dst, v.Str...)
	case pyjson.String:
		if b, err := pyjson.AppendString(dst, v.Str); err == nil {
			return b
		}
		return append(dst, strconv.QuoteToASCII(v.Str)...)
	case pyjson.Array:
		dst = append(dst, '[')
		for i, e := range v.Arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendLoose(dst, e)
		}
		return append(dst, ']')
	case pyjson.Object:
		dst = append(dst, '{')
		for i, m := range v.Obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendLoose(dst, pyjson.StringValue(m.Key))
			dst = append(dst, ':')
			dst = appendLoose(dst, m.Value)
		}
		return append(dst, '}')
	}
	b, _ := pyjson.Append(dst, v)
	return b
}
