package contract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// templatePattern finds {{ name }} references.
var templatePattern = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}`)

// vars are a scenario's variables: provider-state values, captures and --var values.
type vars map[string]pyjson.Value

// lookup finds name, following dots into captured objects and arrays when no variable
// has the whole name ("orig.friendly_name", "err.detail.0.loc").
func (v vars) lookup(name string) (pyjson.Value, bool) {
	if val, ok := v[name]; ok {
		return val, true
	}
	parts := strings.Split(name, ".")
	for i := len(parts) - 1; i > 0; i-- {
		base, ok := v[strings.Join(parts[:i], ".")]
		if !ok {
			continue
		}
		return walk(base, parts[i:])
	}
	return pyjson.Value{}, false
}

func walk(v pyjson.Value, path []string) (pyjson.Value, bool) {
	for _, p := range path {
		switch v.Kind {
		case pyjson.Object:
			next, ok := v.Get(p)
			if !ok {
				return pyjson.Value{}, false
			}
			v = next
		case pyjson.Array:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(v.Arr) {
				return pyjson.Value{}, false
			}
			v = v.Arr[i]
		default:
			return pyjson.Value{}, false
		}
	}
	return v, true
}

// renderString substitutes variables into a string; every value is written as its
// text (strings as they are, others as JSON).
func (v vars) renderString(s string) (string, error) {
	var missing []string
	out := templatePattern.ReplaceAllStringFunc(s, func(m string) string {
		name := templatePattern.FindStringSubmatch(m)[1]
		val, ok := v.lookup(name)
		if !ok {
			missing = append(missing, name)
			return m
		}
		if val.Kind == pyjson.String {
			return val.Str
		}
		return text(val)
	})
	if len(missing) > 0 {
		return out, fmt.Errorf("unknown variable %s (known: %s)", strings.Join(missing, ", "), strings.Join(v.names(), ", "))
	}
	return out, nil
}

// render substitutes variables into a JSON value. A string that is exactly one
// reference takes the variable's value with its JSON type, so a captured null stays
// null and a number stays a number.
func (v vars) render(val pyjson.Value) (pyjson.Value, error) {
	switch val.Kind {
	case pyjson.String:
		if m := templatePattern.FindStringSubmatch(val.Str); m != nil && m[0] == strings.TrimSpace(val.Str) {
			got, ok := v.lookup(m[1])
			if !ok {
				return val, fmt.Errorf("unknown variable %s (known: %s)", m[1], strings.Join(v.names(), ", "))
			}
			return got, nil
		}
		s, err := v.renderString(val.Str)
		return pyjson.StringValue(s), err
	case pyjson.Array:
		out := make([]pyjson.Value, len(val.Arr))
		for i, e := range val.Arr {
			r, err := v.render(e)
			if err != nil {
				return val, err
			}
			out[i] = r
		}
		return pyjson.ArrayValue(out), nil
	case pyjson.Object:
		out := make([]pyjson.Member, len(val.Obj))
		for i, m := range val.Obj {
			r, err := v.render(m.Value)
			if err != nil {
				return val, err
			}
			out[i] = pyjson.Member{Key: m.Key, Value: r}
		}
		return pyjson.ObjectValue(out), nil
	}
	return val, nil
}

func (v vars) names() []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	return sortedStrings(out)
}
