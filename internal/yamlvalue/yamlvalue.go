// Package yamlvalue turns YAML nodes into the project's JSON values (pyjson.Value),
// keeping mapping order, for the document, fixtures, fault files and scenarios. It is
// internal: the YAML parser's types stay out of every public API.
package yamlvalue

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// MaxAliasValues bounds the values that aliases may expand to in one call of Node:
// nested aliases multiply ("billion laughs"), and a few hundred bytes of YAML would
// otherwise become gigabytes.
const MaxAliasValues = 100_000

// ErrAliasExpansion is a document whose aliases expand past MaxAliasValues.
var ErrAliasExpansion = fmt.Errorf("aliases expand to more than %d values", MaxAliasValues)

// Node converts a YAML node to the JSON value it denotes, keeping mapping order.
func Node(n *yaml.Node) (pyjson.Value, error) {
	left := MaxAliasValues
	return node(n, &left, false)
}

// node converts n; under an alias each value takes one of left.
func node(n *yaml.Node, left *int, aliased bool) (pyjson.Value, error) {
	if aliased {
		if *left--; *left < 0 {
			return pyjson.Value{}, fmt.Errorf("line %d: %w", n.Line, ErrAliasExpansion)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return pyjson.Value{}, nil
		}
		return node(n.Content[0], left, aliased)
	case yaml.AliasNode:
		if n.Alias == nil {
			return pyjson.Value{}, fmt.Errorf("line %d: an alias to nothing", n.Line)
		}
		if !aliased { // count from the alias itself: its line is the one to fix
			if *left--; *left < 0 {
				return pyjson.Value{}, fmt.Errorf("line %d: %w", n.Line, ErrAliasExpansion)
			}
		}
		v, err := node(n.Alias, left, true)
		if err != nil && !aliased && errors.Is(err, ErrAliasExpansion) {
			return v, fmt.Errorf("line %d: %w", n.Line, ErrAliasExpansion)
		}
		return v, err
	case yaml.SequenceNode:
		arr := make([]pyjson.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := node(c, left, aliased)
			if err != nil {
				return v, err
			}
			arr = append(arr, v)
		}
		return pyjson.ArrayValue(arr), nil
	case yaml.MappingNode:
		obj := make([]pyjson.Member, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := node(n.Content[i+1], left, aliased)
			if err != nil {
				return v, err
			}
			obj = append(obj, pyjson.Member{Key: n.Content[i].Value, Value: v})
		}
		return pyjson.ObjectValue(obj), nil
	default:
		return Scalar(n)
	}
}

// Scalar converts a YAML scalar to the JSON value it denotes.
func Scalar(n *yaml.Node) (pyjson.Value, error) {
	switch n.ShortTag() {
	case "!!null":
		return pyjson.NullValue(), nil
	case "!!bool":
		return pyjson.BoolValue(strings.EqualFold(n.Value, "true")), nil
	case "!!int":
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return pyjson.NumberValue(n.Value), nil
		}
		return pyjson.NumberValue(strconv.FormatInt(i, 10)), nil
	case "!!float":
		if bigInteger.MatchString(n.Value) { // the parser tags integers past int64 as floats
			return pyjson.NumberValue(strings.TrimPrefix(n.Value, "+")), nil
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return pyjson.Value{}, fmt.Errorf("line %d: %q is not a number", n.Line, n.Value)
		}
		return pyjson.NumberValue(pyjson.FloatRepr(f)), nil
	default:
		return pyjson.StringValue(n.Value), nil
	}
}

var bigInteger = regexp.MustCompile(`^[-+]?[0-9]+$`)
