package spec

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// This file is the one place per JSON Schema keyword. Each keyword says where it is
// found in a schema and what each side does with it:
//
//   - request: the compiled validator (Union.Validate) implements it for some value
//     types, with pydantic's own error; a keyword it does not implement is still
//     validated, by libopenapi-validator (see fallback.go), and named in
//     Document.Warnings;
//   - response: record checks (Field.Check, Provider.Record) implement the structural
//     and constraint keywords (the same check types, so a stored value meets what the
//     200 must satisfy) and ignore unknown ones (named in Document.Warnings too).
//
// Adding a keyword to the compiled validator is adding its constraint type below and
// its row in keywords.

// role is what a keyword is to the compilers.
type role uint8

const (
	// annotation keywords change nothing pydantic or the store does.
	annotation role = iota
	// structural keywords shape the compiled tree (type, anyOf, $ref, properties…);
	// compile.go reads them.
	structural
	// constraint keywords become a check on one value (constraint below).
	constraint
	// unknown keywords are not compiled: libopenapi-validator decides requests where
	// they are in play, and records are not checked against them.
	unknown
)

// keyword is one row of the table.
type keyword struct {
	name string // as seam.Schema.Keywords names it
	role role
	// on is the value type a constraint applies to (JSON Schema ignores a constraint
	// on a value of another type, and so does the compiled validator).
	on nodeType
	// compile builds the constraint from the schema (constraint keywords only).
	compile func(s *seam.Schema, n *node) (check, error)
	// afterItems: a list constraint pydantic checks after validating the items.
	afterItems bool
	// response is true when record checks read a structural keyword (constraints
	// are always checked, unknown keywords never).
	response bool
}

// keywords in pydantic's order of checking: strings (length, then pattern),
// numbers (multiple_of, le, lt, ge, gt), lists (max before the items, min after).
var keywords = []keyword{
	{name: "type", role: structural, response: true},
	{name: "anyOf", role: structural, response: true},
	{name: "properties", role: structural, response: true},
	{name: "required", role: structural, response: true},
	{name: "additionalProperties", role: structural},
	{name: "items", role: structural, response: true},
	{name: "enum", role: structural, response: true},
	{name: "const", role: structural, response: true},
	{name: "default", role: structural, response: true},

	{name: "minLength", role: constraint, on: tString,
		compile: func(s *seam.Schema, _ *node) (check, error) { return minLength(*s.MinLength), nil }},
	{name: "maxLength", role: constraint, on: tString,
		compile: func(s *seam.Schema, _ *node) (check, error) { return maxLength(*s.MaxLength), nil }},
	{name: "pattern", role: constraint, on: tString,
		compile: compilePattern},
	{name: "multipleOf", role: constraint, on: tNumber,
		compile: func(s *seam.Schema, n *node) (check, error) {
			return newBound(n, boundMultipleOf, s.MultipleOf.Value, s.MultipleOf.Literal)
		}},
	{name: "maximum", role: constraint, on: tNumber,
		compile: func(s *seam.Schema, n *node) (check, error) {
			return newBound(n, boundLE, s.Maximum.Value, s.Maximum.Literal)
		}},
	{name: "exclusiveMaximum", role: constraint, on: tNumber,
		compile: func(s *seam.Schema, n *node) (check, error) {
			return exclusive(n, boundLT, s.ExclusiveMaximum)
		}},
	{name: "minimum", role: constraint, on: tNumber,
		compile: func(s *seam.Schema, n *node) (check, error) {
			return newBound(n, boundGE, s.Minimum.Value, s.Minimum.Literal)
		}},
	{name: "exclusiveMinimum", role: constraint, on: tNumber,
		compile: func(s *seam.Schema, n *node) (check, error) {
			return exclusive(n, boundGT, s.ExclusiveMinimum)
		}},
	{name: "maxItems", role: constraint, on: tList,
		compile: func(s *seam.Schema, _ *node) (check, error) { return maxItems(*s.MaxItems), nil }},
	{name: "minItems", role: constraint, on: tList, afterItems: true,
		compile: func(s *seam.Schema, _ *node) (check, error) { return minItems(*s.MinItems), nil }},

	{name: "title"},
	{name: "description"},
	{name: "examples"},
	{name: "example"},
	{name: "deprecated"},
	{name: "readOnly"},
	{name: "writeOnly"},
	{name: "externalDocs"},
	{name: "xml"},
	{name: "$comment"},
	{name: "$schema"},
	{name: "$id"},
	{name: "$anchor"},
	{name: "$defs"},
	{name: "contentMediaType"},
	{name: "contentEncoding"},

	{name: "format", role: unknown},
	{name: "uniqueItems", role: unknown},
	{name: "minProperties", role: unknown},
	{name: "maxProperties", role: unknown},
	{name: "patternProperties", role: unknown},
	{name: "propertyNames", role: unknown},
	{name: "dependentRequired", role: unknown},
	{name: "dependentSchemas", role: unknown},
	{name: "contains", role: unknown},
	{name: "minContains", role: unknown},
	{name: "maxContains", role: unknown},
	{name: "prefixItems", role: unknown},
	{name: "not", role: unknown},
	{name: "if", role: unknown},
	{name: "allOf", role: unknown},
	{name: "oneOf", role: unknown},
	{name: "discriminator", role: unknown},
	{name: "unevaluatedItems", role: unknown},
	{name: "unevaluatedProperties", role: unknown},
	{name: "contentSchema", role: unknown},
	{name: "$dynamicRef", role: unknown},
	{name: "nullable", role: unknown},
}

// check is one compiled constraint: its fast test and pydantic's error for a value
// that fails it. Both read the value as validation left it (scalar).
type check interface {
	ok(x scalar) bool
	fail(x scalar) (typ, msg string, ctx []pyjson.Member)
}

// scalar is a validated value in the forms the constraints compare.
type scalar struct {
	str string   // tString: the text
	n   int      // tString: characters (Python's len); tList: items
	i   int64    // tInt, when it fits
	big *big.Int // tInt beyond int64
	f   float64  // tFloat
}

func ctxInt(key string, n int64) []pyjson.Member {
	return []pyjson.Member{{Key: key, Value: pyjson.NumberValue(strconv.FormatInt(n, 10))}}
}

type minLength int64

func (c minLength) ok(x scalar) bool { return int64(x.n) >= int64(c) }
func (c minLength) fail(scalar) (string, string, []pyjson.Member) {
	return "string_too_short", fmt.Sprintf("String should have at least %d %s", c, plural(int64(c), "character")), ctxInt("min_length", int64(c))
}

type maxLength int64

func (c maxLength) ok(x scalar) bool { return int64(x.n) <= int64(c) }
func (c maxLength) fail(scalar) (string, string, []pyjson.Member) {
	return "string_too_long", fmt.Sprintf("String should have at most %d %s", c, plural(int64(c), "character")), ctxInt("max_length", int64(c))
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// pattern is pydantic's Rust-regex search (not a full match).
type pattern struct {
	src string
	re  *regexp.Regexp
}

func (c *pattern) ok(x scalar) bool { return c.re.MatchString(x.str) }
func (c *pattern) fail(scalar) (string, string, []pyjson.Member) {
	return "string_pattern_mismatch", "String should match pattern '" + c.src + "'",
		[]pyjson.Member{{Key: "pattern", Value: pyjson.StringValue(c.src)}}
}

// errUnknown marks a keyword value the compiled validator cannot reproduce: the
// keyword is then handled as unknown (libopenapi-validator decides).
var errUnknown = fmt.Errorf("not reproducible by the compiled validator")

func compilePattern(s *seam.Schema, _ *node) (check, error) {
	re, err := regexp.Compile(rustClasses(s.Pattern))
	if err != nil {
		// pydantic falls back to Python's re for patterns Rust's regex refuses
		// (look-around, backreferences); Go's regexp refuses them too.
		return nil, fmt.Errorf("%w: %v", errUnknown, err)
	}
	return &pattern{src: s.Pattern, re: re}, nil
}

// rustClasses rewrites the Perl classes that Rust's regex crate reads as Unicode
// (and Go's regexp as ASCII) into their Unicode forms.
func rustClasses(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var sb strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			var repl string
			switch p[i+1] {
			case 'd':
				repl = `\p{Nd}`
			case 'w':
				repl = `\p{L}\p{M}\p{Nd}\p{Pc}`
			case 's':
				repl = `\s\p{Z}\x{85}`
			case 'D', 'W', 'S':
				if !inClass {
					repl = `[^` + map[byte]string{'D': `\p{Nd}`, 'W': `\p{L}\p{M}\p{Nd}\p{Pc}`, 'S': `\s\p{Z}\x{85}`}[p[i+1]] + `]`
					sb.WriteString(repl)
					i++
					continue
				}
			}
			if repl != "" {
				if !inClass && p[i+1] != 'd' {
					repl = "[" + repl + "]"
				}
				sb.WriteString(repl)
				i++
				continue
			}
			sb.WriteByte(c)
			sb.WriteByte(p[i+1])
			i++
			continue
		}
		switch c {
		case '[':
			inClass = true
		case ']':
			inClass = false
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// boundKind is one of pydantic's numeric constraints.
type boundKind uint8

const (
	boundMultipleOf boundKind = iota
	boundLE
	boundLT
	boundGE
	boundGT
)

var boundText = [...]struct{ typ, key, msg string }{
	boundMultipleOf: {"multiple_of", "multiple_of", "Input should be a multiple of "},
	boundLE:         {"less_than_equal", "le", "Input should be less than or equal to "},
	boundLT:         {"less_than", "lt", "Input should be less than "},
	boundGE:         {"greater_than_equal", "ge", "Input should be greater than or equal to "},
	boundGT:         {"greater_than", "gt", "Input should be greater than "},
}

// bound is a numeric constraint on an int (i) or a float (f) field. pydantic prints
// the bound as written in msg (maximum: 10 reads "10") and as the field's type in
// ctx (a float field's ctx reads 10.0).
type bound struct {
	kind      boundKind
	isInt     bool
	i         int64
	f         float64
	repr, msg string
}

func newBound(n *node, kind boundKind, v float64, lit string) (check, error) {
	b := &bound{kind: kind, isInt: n.typ == tInt, f: v}
	defer func() {
		b.msg = lit
		if b.msg == "" || b.isInt {
			b.msg = b.repr
		}
	}()
	if b.isInt {
		// pydantic refuses a non-integer bound on an int field; beyond int64 the
		// compiled comparison is not exact.
		if v != math.Trunc(v) || math.Abs(v) >= 1<<63 || (kind == boundMultipleOf && v == 0) {
			return nil, errUnknown
		}
		b.i = int64(v)
		b.repr = strconv.FormatInt(b.i, 10)
	} else {
		if kind == boundMultipleOf && v == 0 {
			return nil, errUnknown
		}
		b.repr = pyjson.FloatRepr(v)
	}
	return b, nil
}

// exclusive reads exclusiveMinimum/Maximum, a number in 3.1 (a boolean modifier in
// 3.0, which pydantic never writes: left to libopenapi-validator).
func exclusive(n *node, kind boundKind, v *seam.Number) (check, error) {
	if v.Boolean {
		return nil, errUnknown
	}
	return newBound(n, kind, v.Value, v.Literal)
}

func (b *bound) ok(x scalar) bool {
	if !b.isInt {
		f := x.f
		switch b.kind {
		case boundMultipleOf:
			// pydantic-core's float check (measured): a remainder within 1e-9 of 0 or
			// of the divisor counts as a multiple; NaN passes.
			rem := math.Mod(f, b.f)
			return !(math.Abs(rem) > 1e-9 && math.Abs(rem-b.f) > 1e-9)
		case boundLE:
			return f <= b.f
		case boundLT:
			return f < b.f
		case boundGE:
			return f >= b.f
		default:
			return f > b.f
		}
	}
	if x.big != nil {
		switch b.kind {
		case boundMultipleOf:
			return new(big.Int).Rem(x.big, big.NewInt(b.i)).Sign() == 0
		case boundLE, boundLT:
			return x.big.Sign() < 0
		default:
			return x.big.Sign() > 0
		}
	}
	switch b.kind {
	case boundMultipleOf:
		return x.i%b.i == 0
	case boundLE:
		return x.i <= b.i
	case boundLT:
		return x.i < b.i
	case boundGE:
		return x.i >= b.i
	default:
		return x.i > b.i
	}
}

func (b *bound) fail(scalar) (string, string, []pyjson.Member) {
	t := boundText[b.kind]
	return t.typ, t.msg + b.msg, []pyjson.Member{{Key: t.key, Value: pyjson.NumberValue(b.repr)}}
}

type maxItems int64

func (c maxItems) ok(x scalar) bool { return int64(x.n) <= int64(c) }
func (c maxItems) fail(x scalar) (string, string, []pyjson.Member) {
	return "too_long", fmt.Sprintf("List should have at most %d %s after validation, not %d", c, plural(int64(c), "item"), x.n), listCtx("max_length", int64(c), x.n)
}

type minItems int64

func (c minItems) ok(x scalar) bool { return int64(x.n) >= int64(c) }
func (c minItems) fail(x scalar) (string, string, []pyjson.Member) {
	return "too_short", fmt.Sprintf("List should have at least %d %s after validation, not %d", c, plural(int64(c), "item"), x.n), listCtx("min_length", int64(c), x.n)
}

func listCtx(key string, limit int64, actual int) []pyjson.Member {
	return []pyjson.Member{
		{Key: "field_type", Value: pyjson.StringValue("List")},
		{Key: key, Value: pyjson.NumberValue(strconv.FormatInt(limit, 10))},
		{Key: "actual_length", Value: pyjson.NumberValue(strconv.Itoa(actual))},
	}
}
