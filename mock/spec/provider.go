package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/verbex/verbex-mock/mock/pyjson"
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
	// Fields are the schema's properties in document order.
	Fields []Field
}

// Field is one property of a provider schema.
type Field struct {
	Name     string
	Kinds    []pyjson.Kind
	Integer  bool
	Enum     []string
	Required bool
	// Default is the schema default; nil renders as null.
	Default *pyjson.Value
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

func compileProvider(s *base.Schema) (*Provider, error) {
	if s == nil {
		return nil, fmt.Errorf("unresolvable schema")
	}
	p := &Provider{Title: s.Title}
	if s.Properties == nil {
		return nil, fmt.Errorf("%s: no properties", s.Title)
	}
	for name, proxy := range s.Properties.FromOldest() {
		t, err := typeOf(proxy.Schema())
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", s.Title, name, err)
		}
		f := Field{Name: name, Integer: t.integer, Enum: t.enum, Required: slices.Contains(s.Required, name), Default: t.def}
		for k := range t.kinds {
			f.Kinds = append(f.Kinds, k)
		}
		slices.Sort(f.Kinds)
		p.Fields = append(p.Fields, f)
	}
	prov := p.Index(ProviderField)
	if prov < 0 || len(p.Fields[prov].Enum) != 1 {
		return nil, fmt.Errorf("%s: needs a %q property with a const value", s.Title, ProviderField)
	}
	p.Name = p.Fields[prov].Enum[0]
	for _, want := range []string{IDField, NumberField} {
		i := p.Index(want)
		if i < 0 || !slices.Contains(p.Fields[i].Kinds, pyjson.String) {
			return nil, fmt.Errorf("%s: needs a string %q property", s.Title, want)
		}
	}
	return p, nil
}

// Check checks a value against the field's schema; the error says what was wanted.
func (f *Field) Check(v pyjson.Value) error {
	if !slices.Contains(f.Kinds, v.Kind) {
		want := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			want[i] = k.String()
		}
		return fmt.Errorf("got %s, want %s", v.Kind, strings.Join(want, " or "))
	}
	if v.Kind == pyjson.Number && f.Integer && strings.ContainsAny(v.Str, ".eE") {
		return fmt.Errorf("got %s, want an integer", v.Str)
	}
	if f.Enum != nil && v.Kind == pyjson.String && !slices.Contains(f.Enum, v.Str) {
		return fmt.Errorf("%q is not one of %s", v.Str, literalList(f.Enum))
	}
	return nil
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

// AppendRecord renders a record as its 200 body: every field, in schema order.
func (p *Provider) AppendRecord(dst []byte, values []pyjson.Value) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	for i := range p.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = pyjson.AppendString(dst, p.Fields[i].Name); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		if dst, err = pyjson.Append(dst, values[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}
