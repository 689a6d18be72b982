package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Union is the request body schema as pydantic validates it: an anyOf of object
// schemas becomes Union[Model, …] (smart mode), a single object schema one Model.
type Union struct {
	Branches []*Branch
	// Titled is true for a real union: pydantic then names the branch in loc.
	Titled bool
}

// Branch is one model of the union.
type Branch struct {
	// Title is the model's class name as FastAPI writes it into the schema title.
	Title string
	Props []Prop
}

// Prop is one model field: a string, nullable or not, optionally limited to an enum.
type Prop struct {
	Name     string
	Nullable bool
	Enum     []string
	Required bool
}

// Has reports whether the branch declares the property.
func (b *Branch) Has(name string) bool {
	for i := range b.Props {
		if b.Props[i].Name == name {
			return true
		}
	}
	return false
}

// Detail is one pydantic error as FastAPI renders it in a 422's "detail" array.
type Detail struct {
	Type  string
	Loc   []pyjson.Value
	Msg   string
	Input pyjson.Value
	// Ctx is the optional "ctx" object; nil leaves it out.
	Ctx []pyjson.Member
}

// Value renders d in pydantic's key order: type, loc, msg, input, ctx.
func (d Detail) Value() pyjson.Value {
	m := []pyjson.Member{
		{Key: "type", Value: pyjson.StringValue(d.Type)},
		{Key: "loc", Value: pyjson.ArrayValue(d.Loc)},
		{Key: "msg", Value: pyjson.StringValue(d.Msg)},
		{Key: "input", Value: d.Input},
	}
	if d.Ctx != nil {
		m = append(m, pyjson.Member{Key: "ctx", Value: pyjson.ObjectValue(d.Ctx)})
	}
	return pyjson.ObjectValue(m)
}

// AppendValidationError appends the HTTPValidationError body {"detail":[…]}.
func AppendValidationError(dst []byte, details []Detail) ([]byte, error) {
	arr := make([]pyjson.Value, len(details))
	for i, d := range details {
		arr[i] = d.Value()
	}
	return pyjson.Append(dst, pyjson.ObjectValue([]pyjson.Member{{Key: "detail", Value: pyjson.ArrayValue(arr)}}))
}

// MissingBody is FastAPI's error for an empty body or the JSON literal null.
func MissingBody() []Detail {
	return []Detail{{Type: "missing", Loc: []pyjson.Value{pyjson.StringValue("body")}, Msg: "Field required", Input: pyjson.NullValue()}}
}

// InvalidJSON is FastAPI's error for a body json.loads rejects.
func InvalidJSON(e *pyjson.SyntaxError) []Detail {
	return []Detail{{
		Type:  "json_invalid",
		Loc:   []pyjson.Value{pyjson.StringValue("body"), pyjson.NumberValue(fmt.Sprint(e.Pos))},
		Msg:   "JSON decode error",
		Input: pyjson.ObjectValue([]pyjson.Member{}),
		Ctx:   []pyjson.Member{{Key: "error", Value: pyjson.StringValue(e.Msg)}},
	}}
}

// Result is the outcome of validating a body against the union.
type Result struct {
	// Branch is the model pydantic picked; nil when validation failed.
	Branch *Branch
	// Fields are the picked model's fields present in the body, in model order:
	// everything else in the body is dropped.
	Fields []pyjson.Member
	// Details are the errors of every branch when all failed, in branch order and,
	// within a branch, in field order.
	Details []Detail
}

// Validate validates a decoded, non-null body as pydantic's smart-mode union does:
// every branch is tried; if some pass, the one with the most of its own fields present
// wins, the earlier on a tie; if none pass, all their errors are reported.
func (u *Union) Validate(body pyjson.Value) Result {
	best, bestCount := -1, -1
	for i, b := range u.Branches {
		ok, count := b.passes(body)
		if ok && count > bestCount {
			best, bestCount = i, count
		}
	}
	if best >= 0 {
		b := u.Branches[best]
		fields := make([]pyjson.Member, 0, bestCount)
		for _, p := range b.Props {
			if v, ok := body.Get(p.Name); ok {
				fields = append(fields, pyjson.Member{Key: p.Name, Value: v})
			}
		}
		return Result{Branch: b, Fields: fields}
	}
	var details []Detail
	for _, b := range u.Branches {
		details = b.errors(body, u.Titled, details)
	}
	return Result{Details: details}
}

// passes is the allocation-free check of one branch; count is how many of its own
// fields the body sets (pydantic's fields_set tie-break).
func (b *Branch) passes(body pyjson.Value) (ok bool, count int) {
	if body.Kind != pyjson.Object {
		return false, 0
	}
	for i := range b.Props {
		p := &b.Props[i]
		v, present := body.Get(p.Name)
		if !present {
			if p.Required {
				return false, 0
			}
			continue
		}
		if !p.accepts(v) {
			return false, 0
		}
		count++
	}
	return true, count
}

func (p *Prop) accepts(v pyjson.Value) bool {
	switch v.Kind {
	case pyjson.Null:
		return p.Nullable
	case pyjson.String:
		return p.Enum == nil || slices.Contains(p.Enum, v.Str)
	default:
		return false
	}
}

func (b *Branch) errors(body pyjson.Value, titled bool, details []Detail) []Detail {
	loc := func(extra ...string) []pyjson.Value {
		l := []pyjson.Value{pyjson.StringValue("body")}
		if titled {
			l = append(l, pyjson.StringValue(b.Title))
		}
		for _, e := range extra {
			l = append(l, pyjson.StringValue(e))
		}
		return l
	}
	if body.Kind != pyjson.Object {
		return append(details, Detail{
			Type: "model_attributes_type", Loc: loc(),
			Msg: "Input should be a valid dictionary or object to extract fields from", Input: body,
		})
	}
	for i := range b.Props {
		p := &b.Props[i]
		v, present := body.Get(p.Name)
		switch {
		case !present && p.Required:
			details = append(details, Detail{Type: "missing", Loc: loc(p.Name), Msg: "Field required", Input: body})
		case !present, p.accepts(v):
		case p.Enum != nil:
			expected := literalList(p.Enum)
			details = append(details, Detail{
				Type: "literal_error", Loc: loc(p.Name), Msg: "Input should be " + expected, Input: v,
				Ctx: []pyjson.Member{{Key: "expected", Value: pyjson.StringValue(expected)}},
			})
		default:
			details = append(details, Detail{Type: "string_type", Loc: loc(p.Name), Msg: "Input should be a valid string", Input: v})
		}
	}
	return details
}

// literalList is pydantic's expected-values text: 'a', 'b' or 'c'.
func literalList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

func compileUnion(root *base.Schema) (Union, error) {
	if root == nil {
		return Union{}, fmt.Errorf("no schema")
	}
	proxies := root.AnyOf
	if len(proxies) == 0 {
		proxies = root.OneOf
	}
	u := Union{Titled: len(proxies) > 0}
	if len(proxies) == 0 {
		b, err := compileBranch(root)
		if err != nil {
			return u, err
		}
		u.Branches = []*Branch{b}
		return u, nil
	}
	for i, p := range proxies {
		b, err := compileBranch(p.Schema())
		if err != nil {
			return u, fmt.Errorf("anyOf[%d]: %w", i, err)
		}
		u.Branches = append(u.Branches, b)
	}
	return u, nil
}

func compileBranch(s *base.Schema) (*Branch, error) {
	if s == nil {
		return nil, fmt.Errorf("unresolvable schema")
	}
	if s.Title == "" {
		return nil, fmt.Errorf("object schema without a title (pydantic names union branches by it)")
	}
	if !slices.Equal(s.Type, []string{"object"}) {
		return nil, fmt.Errorf("%s: type %v, want object", s.Title, s.Type)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.IsB() && !s.AdditionalProperties.B {
		return nil, fmt.Errorf("%s: additionalProperties: false (extra=forbid) is not supported", s.Title)
	}
	b := &Branch{Title: s.Title}
	if s.Properties != nil {
		for name, proxy := range s.Properties.FromOldest() {
			t, err := typeOf(proxy.Schema())
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", s.Title, name, err)
			}
			for k := range t.kinds {
				if k != pyjson.String && k != pyjson.Null {
					return nil, fmt.Errorf("%s.%s: type %s is not supported in request bodies (only string and null)", s.Title, name, k)
				}
			}
			if t.format {
				return nil, fmt.Errorf("%s.%s: format is not supported in request bodies (pydantic validates formats as other types)", s.Title, name)
			}
			if !t.kinds[pyjson.String] {
				return nil, fmt.Errorf("%s.%s: a field must accept strings", s.Title, name)
			}
			b.Props = append(b.Props, Prop{Name: name, Nullable: t.kinds[pyjson.Null], Enum: t.enum, Required: slices.Contains(s.Required, name)})
		}
	}
	for _, r := range s.Required {
		if !b.Has(r) {
			return nil, fmt.Errorf("%s: required property %q is not declared", s.Title, r)
		}
	}
	return b, nil
}

// schemaType is what a property schema allows, flattened over anyOf alternatives.
type schemaType struct {
	kinds map[pyjson.Kind]bool
	// integer is true when "number" was declared as "integer".
	integer bool
	enum    []string
	// format is true when any alternative declares a format.
	format bool
	// def is the schema default, nil when none.
	def *pyjson.Value
}

var kindByName = map[string]pyjson.Kind{
	"string": pyjson.String, "null": pyjson.Null, "integer": pyjson.Number,
	"number": pyjson.Number, "boolean": pyjson.Bool, "object": pyjson.Object, "array": pyjson.Array,
}

// supported keywords of a property schema beyond type/anyOf/enum/const: the rest of
// what FastAPI writes is annotation.
func typeOf(s *base.Schema) (schemaType, error) {
	t := schemaType{kinds: map[pyjson.Kind]bool{}}
	if s == nil {
		return t, fmt.Errorf("unresolvable schema")
	}
	if err := unsupported(s); err != nil {
		return t, err
	}
	if s.Default != nil {
		v, err := yamlvalue.Scalar(s.Default)
		if err != nil {
			return t, err
		}
		t.def = &v
	}
	alternatives := []*base.Schema{s}
	if len(s.AnyOf) > 0 {
		alternatives = alternatives[:0]
		for _, p := range s.AnyOf {
			alt := p.Schema()
			if alt == nil {
				return t, fmt.Errorf("unresolvable anyOf alternative")
			}
			if len(alt.AnyOf) > 0 || len(alt.OneOf) > 0 || len(alt.AllOf) > 0 {
				return t, fmt.Errorf("nested anyOf/oneOf/allOf is not supported")
			}
			if err := unsupported(alt); err != nil {
				return t, err
			}
			alternatives = append(alternatives, alt)
		}
	} else if len(s.OneOf) > 0 || len(s.AllOf) > 0 {
		return t, fmt.Errorf("oneOf/allOf is not supported")
	}
	for _, alt := range alternatives {
		t.format = t.format || alt.Format != ""
		if len(alt.Type) == 0 {
			return t, fmt.Errorf("no type")
		}
		for _, name := range alt.Type {
			k, ok := kindByName[name]
			if !ok {
				return t, fmt.Errorf("unknown type %q", name)
			}
			t.kinds[k] = true
			t.integer = t.integer || name == "integer"
		}
		values := alt.Enum
		if alt.Const != nil {
			values = append(values, alt.Const)
		}
		for _, n := range values {
			if n.ShortTag() != "!!str" {
				return t, fmt.Errorf("enum/const value %q is not a string", n.Value)
			}
			t.enum = append(t.enum, n.Value)
		}
	}
	return t, nil
}

// unsupported refuses validation keywords the compiled rules do not implement, so
// that a newer document is never validated approximately.
func unsupported(s *base.Schema) error {
	var kw []string
	if s.MaxLength != nil || s.MinLength != nil {
		kw = append(kw, "minLength/maxLength")
	}
	if s.Pattern != "" {
		kw = append(kw, "pattern")
	}
	if s.Minimum != nil || s.Maximum != nil || s.ExclusiveMinimum != nil || s.ExclusiveMaximum != nil || s.MultipleOf != nil {
		kw = append(kw, "numeric bounds")
	}
	if s.Not != nil || s.If != nil {
		kw = append(kw, "not/if")
	}
	if len(kw) > 0 {
		return fmt.Errorf("keyword %s is not supported by the compiled validator", strings.Join(kw, ", "))
	}
	return nil
}
