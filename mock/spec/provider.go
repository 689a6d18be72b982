package spec

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// Well-known properties of every provider schema.
const (
	IDField       = "_id"
	ProviderField = "provider"
	NumberField   = "phone_number"
)

// Provider is one Get…Response schema: the shape of a stored phone number and of the
// 200 that returns it.
type Provider struct {
	// Name is the provider property's const ("sip", "pia", "twilio").
	Name  string
	Title string
	// Label is what people call the provider, read from the title: "Vonage" from
	// GetVonagePhoneNumberResponse ("SIP", "Pia", "Twilio" for the seed's). It names
	// the provider state "a Vonage number exists".
	Label string
	// Fields are the schema's properties in document order.
	Fields []Field
	// keys are the fields' names as AppendRecord writes them, with the ':' after
	// ("" for a name that cannot be written): encoded once, not on every answer.
	keys []string
}

// Field is one property of a provider schema (or of a nested object or array item):
// what a stored value may be, and how it renders. The response side implements type
// (string, integer, number, boolean, null, array, object), enum/const, items,
// properties/required and default; other keywords are not checked on records (they
// are listed in Document.Warnings).
type Field struct {
	Name  string
	Kinds []pyjson.Kind
	// Integer is true when a number must be an integer.
	Integer bool
	// Enum lists the string values of an enum/const; Values all of them.
	Enum     []string
	Values   []pyjson.Value
	Required bool
	// Default is the schema default; nil renders as null.
	Default *pyjson.Value
	// Items is an array's item schema; nil accepts any item.
	Items *Field
	// Props are a nested object's declared properties, in schema order; nil accepts
	// any object.
	Props []Field

	checks []typedCheck // the constraint keywords, compiled as for requests
	// required names required properties the schema does not declare in properties
	// (JSON Schema allows it; the object must still have them).
	required []string
}

// typedCheck is a constraint that applies to values of one type.
type typedCheck struct {
	on nodeType
	c  check
}

// FieldError is a value that does not fit a field of a schema.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// Index returns the position of the named field in Fields, or -1.
func (p *Provider) Index(name string) int {
	for i := range p.Fields {
		if p.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

func (c *compiler) provider(p *seam.SchemaRef, ptr string) (*Provider, error) {
	ptr = refPointer(p, ptr)
	s := p.Schema()
	if s == nil {
		return nil, fmt.Errorf("unresolvable schema")
	}
	pr := &Provider{Title: s.Title}
	if s.Properties == nil {
		return nil, fmt.Errorf("%s: no properties", s.Title)
	}
	pr.Fields = c.fields(s, ptr, 0)
	prov := pr.Index(ProviderField)
	if prov < 0 || len(pr.Fields[prov].Enum) != 1 {
		return nil, fmt.Errorf("%s: needs a %q property with a const value", s.Title, ProviderField)
	}
	pr.Name = pr.Fields[prov].Enum[0]
	pr.Label = label(s.Title, pr.Name)
	pr.keys = make([]string, len(pr.Fields))
	for i := range pr.Fields {
		pr.keys[i], _ = pr.RecordKey(i)
	}
	for _, want := range []string{IDField, NumberField} {
		i := pr.Index(want)
		if i < 0 || !slices.Contains(pr.Fields[i].Kinds, pyjson.String) {
			return nil, fmt.Errorf("%s: needs a string %q property", s.Title, want)
		}
	}
	return pr, nil
}

// label reads a provider's label from its response schema's title, FastAPI's class
// name: Get<Label>PhoneNumberResponse, or <Label>PhoneNumber…; a title of another
// shape gives the provider's name with its first letter in upper case.
func label(title, name string) string {
	l := strings.TrimPrefix(title, "Get")
	if i := strings.Index(l, "PhoneNumber"); i > 0 && !strings.ContainsAny(l[:i], " _-") {
		return l[:i]
	}
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// fields compiles an object schema's properties for records.
func (c *compiler) fields(s *seam.Schema, ptr string, depth int) []Field {
	var out []Field
	for _, pr := range s.Properties {
		name := pr.Name
		f := c.field(pr.Schema, ptr+"/properties/"+escapePointer(name), depth)
		f.Name, f.Required = name, slices.Contains(s.Required, name)
		out = append(out, f)
	}
	return out
}

// field compiles one response schema, flattening anyOf alternatives.
func (c *compiler) field(p *seam.SchemaRef, ptr string, depth int) Field {
	ptr = refPointer(p, ptr)
	var f Field
	s := p.Schema()
	if s == nil || depth > 8 {
		return f // no Kinds: anything is accepted
	}
	if d, err := defaultOf(s); err == nil {
		f.Default = d
	}
	alts := []*seam.SchemaRef{p}
	altPtr := []string{ptr}
	if len(s.AnyOf) > 0 {
		alts, altPtr = s.AnyOf, nil
		for i := range s.AnyOf {
			altPtr = append(altPtr, ptr+"/anyOf/"+strconv.Itoa(i))
		}
	}
	untyped := false
	for i, ap := range alts {
		a := ap.Schema()
		if a == nil {
			continue
		}
		aptr := refPointer(ap, altPtr[i])
		c.responseWarnings(a, aptr)
		if len(a.Type) == 0 && a.Enum == nil && a.Const == nil {
			untyped = true
		}
		for _, t := range a.Type {
			k, ok := kindByName[t]
			if !ok {
				continue
			}
			if !slices.Contains(f.Kinds, k) {
				f.Kinds = append(f.Kinds, k)
			}
			f.Integer = f.Integer || t == "integer"
		}
		vals := slices.Clone(a.Enum)
		if a.Const != nil {
			vals = append(vals, a.Const)
		}
		for _, y := range vals {
			v, err := yamlvalue.Node(y)
			if err != nil {
				continue
			}
			f.Values = append(f.Values, v)
			if v.Kind == pyjson.String {
				f.Enum = append(f.Enum, v.Str)
			}
			if len(a.Type) == 0 && !slices.Contains(f.Kinds, v.Kind) {
				f.Kinds = append(f.Kinds, v.Kind)
			}
		}
		f.checks = append(f.checks, c.responseChecks(a, aptr)...)
		if a.Items != nil {
			it := c.field(a.Items, aptr+"/items", depth+1)
			f.Items = &it
		}
		if a.Properties != nil {
			f.Props = c.fields(a, aptr, depth+1)
		}
		for _, name := range a.Required {
			declared := slices.ContainsFunc(a.Properties, func(p seam.Property) bool { return p.Name == name })
			if !declared {
				f.required = append(f.required, name)
			}
		}
	}
	if untyped {
		f.Kinds = nil // an alternative without a type accepts anything
	}
	slices.Sort(f.Kinds)
	return f
}

// responseChecks compiles the constraint keywords of s for record checks.
func (c *compiler) responseChecks(s *seam.Schema, ptr string) []typedCheck {
	var out []typedCheck
	for i := range keywords {
		k := &keywords[i]
		if k.role != constraint || !s.Keywords[k.name] {
			continue
		}
		for _, t := range []nodeType{tString, tInt, tFloat, tList} {
			if !applies(k.on, t) || !slices.Contains(s.Type, typeName[t]) {
				continue
			}
			chk, err := k.compile(s, &node{typ: t})
			if err != nil {
				c.addWarning(Warning{Keyword: k.name, Pointer: ptr, Side: "response"})
				continue
			}
			out = append(out, typedCheck{on: t, c: chk})
		}
	}
	return out
}

var typeName = map[nodeType]string{tString: "string", tInt: "integer", tFloat: "number", tList: "array"}

func (c *compiler) addWarning(w Warning) {
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

// responseWarnings names the keywords of s that record checks ignore.
func (c *compiler) responseWarnings(s *seam.Schema, ptr string) {
	for i := range keywords {
		k := &keywords[i]
		if k.role == unknown && s.Keywords[k.name] {
			w := Warning{Keyword: k.name, Pointer: ptr, Side: "response"}
			if !slices.Contains(c.warnings, w) {
				c.warnings = append(c.warnings, w)
			}
		}
	}
}

var kindByName = map[string]pyjson.Kind{
	"string": pyjson.String, "null": pyjson.Null, "integer": pyjson.Number,
	"number": pyjson.Number, "boolean": pyjson.Bool, "object": pyjson.Object, "array": pyjson.Array,
}

// Check checks a value against the field's schema; the error says what was wanted.
func (f *Field) Check(v pyjson.Value) error {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, v.Kind) {
		want := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			want[i] = k.String()
		}
		return fmt.Errorf("got %s, want %s", v.Kind, strings.Join(want, " or "))
	}
	switch v.Kind {
	case pyjson.Null:
		return nil
	case pyjson.Number:
		if f.Integer && isFloatRepr(v.Str) {
			return fmt.Errorf("got %s, want an integer", v.Str)
		}
	case pyjson.Array:
		if f.Items != nil {
			for i, e := range v.Arr {
				if err := f.Items.Check(e); err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
		}
	case pyjson.Object:
		for _, name := range f.required {
			if _, ok := v.Get(name); !ok {
				return fmt.Errorf("%q: required but missing", name)
			}
		}
		for i := range f.Props {
			p := &f.Props[i]
			e, ok := v.Get(p.Name)
			if !ok {
				if p.Required {
					return fmt.Errorf("%q: required but missing", p.Name)
				}
				continue
			}
			if err := p.Check(e); err != nil {
				return fmt.Errorf("%q: %w", p.Name, err)
			}
		}
	}
	if f.Values != nil && !slices.ContainsFunc(f.Values, v.Equal) {
		return fmt.Errorf("%s is not one of %s", short(v), literalValues(f.Values))
	}
	if len(f.checks) > 0 {
		return f.checkConstraints(v)
	}
	return nil
}

func (f *Field) checkConstraints(v pyjson.Value) error {
	var x scalar
	var t nodeType
	switch v.Kind {
	case pyjson.String:
		t, x.str, x.n = tString, v.Str, pyjson.RuneCount(v.Str)
	case pyjson.Array:
		t, x.n = tList, len(v.Arr)
	case pyjson.Number:
		f, err := strconv.ParseFloat(v.Str, 64)
		x.f = f
		if isFloatRepr(v.Str) || err != nil {
			t = tFloat
		} else if i, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
			t, x.i = tInt, i
		} else {
			t = tInt
			x.big, _ = new(big.Int).SetString(v.Str, 10)
		}
	default:
		return nil
	}
	for _, tc := range f.checks {
		on := tc.on
		if t == tInt && on == tFloat {
			// a float schema's bound compares an int record value as a float
			if b, ok := tc.c.(*bound); ok {
				x2 := x
				x2.f = float64(x.i)
				if !b.ok(x2) {
					_, msg, _ := b.fail(x2)
					return errors.New(msg)
				}
			}
			continue
		}
		if on != t {
			continue
		}
		if !tc.c.ok(x) {
			_, msg, _ := tc.c.fail(x)
			return errors.New(msg)
		}
	}
	return nil
}

func short(v pyjson.Value) string {
	b, err := pyjson.Marshal(v)
	if err != nil {
		return v.Kind.String()
	}
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// Record turns a record object into the values of p's fields, filling omitted fields
// with their default (or null). It refuses undeclared fields, values off the schema
// and missing required fields, naming the field.
func (p *Provider) Record(obj pyjson.Value) ([]pyjson.Value, error) {
	if obj.Kind != pyjson.Object {
		return nil, fmt.Errorf("got %s, want an object", obj.Kind)
	}
	values := make([]pyjson.Value, len(p.Fields))
	set := make([]bool, len(p.Fields))
	for _, m := range obj.Obj {
		i := p.Index(m.Key)
		if i < 0 {
			return nil, &FieldError{m.Key, fmt.Errorf("not declared by %s (fields: %s)", p.Title, strings.Join(p.FieldNames(), ", "))}
		}
		if err := p.Fields[i].Check(m.Value); err != nil {
			return nil, &FieldError{m.Key, err}
		}
		values[i], set[i] = m.Value, true
	}
	var missing []string
	for i, f := range p.Fields {
		switch {
		case set[i]:
		case f.Required:
			missing = append(missing, f.Name)
		case f.Default != nil:
			values[i] = *f.Default
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &FieldError{missing[0], fmt.Errorf("required by %s but missing", p.Title)}
	}
	return values, nil
}

// FieldNames lists the schema's property names in order.
func (p *Provider) FieldNames() []string {
	names := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		names[i] = f.Name
	}
	return names
}

// RecordKey is the i-th field's name as AppendRecord writes it, with the ':' after;
// false when the name cannot be written (a lone surrogate).
func (p *Provider) RecordKey(i int) (string, bool) {
	if i < len(p.keys) && p.keys[i] != "" {
		return p.keys[i], true
	}
	key, err := pyjson.AppendString(nil, p.Fields[i].Name)
	if err != nil {
		return "", false
	}
	return string(append(key, ':')), true
}

// AppendRecord renders a record as its 200 body: every field, in schema order.
func (p *Provider) AppendRecord(dst []byte, values []pyjson.Value) ([]byte, error) {
	dst, _, err := p.AppendRecordEnds(dst, values, nil)
	return dst, err
}

// AppendRecordEnds is AppendRecord that also appends to ends where each field's
// value ends in dst (an offset into the rendered record, which starts at len(dst)),
// so that a reader can find the values without parsing the text again.
func (p *Provider) AppendRecordEnds(dst []byte, values []pyjson.Value, ends []int32) ([]byte, []int32, error) {
	var err error
	start := len(dst)
	dst = append(dst, '{')
	for i := range p.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		key, ok := p.RecordKey(i)
		if !ok {
			return dst, ends, pyjson.ErrUnencodable
		}
		dst = append(dst, key...)
		if dst, err = pyjson.Append(dst, values[i]); err != nil {
			return dst, ends, err
		}
		ends = append(ends, int32(len(dst)-start))
	}
	return append(dst, '}'), ends, nil
}
