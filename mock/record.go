package mock

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// PhoneNumber is a stored phone number, a copy taken under the store's lock.
type PhoneNumber struct {
	ID       string
	Provider string
	Number   string
	// Fields holds every property of the provider's schema by name as a JSON value
	// (a string, nil for null), _id, provider and phone_number included.
	Fields map[string]any
	// JSON is the record exactly as a 200 or GET /__admin/phone-numbers renders it.
	JSON []byte
}

// Field returns the named field's value when it is a string.
func (p PhoneNumber) Field(name string) (string, bool) {
	s, ok := p.Fields[name].(string)
	return s, ok
}

// record is one stored phone number: its provider schema and a value per schema field.
type record struct {
	provider *spec.Provider
	values   []pyjson.Value
}

func (r *record) id() string { return r.values[r.provider.Index(spec.IDField)].Str }

func (r *record) clone() *record {
	return &record{provider: r.provider, values: append([]pyjson.Value(nil), r.values...)}
}

func (r *record) appendJSON(dst []byte) ([]byte, error) {
	return r.provider.AppendRecord(dst, r.values)
}

func (r *record) phoneNumber() PhoneNumber {
	body, _ := r.appendJSON(nil) // a stored record always encodes: values are checked before they are stored
	p := PhoneNumber{Provider: r.provider.Name, Fields: make(map[string]any, len(r.values)), JSON: body}
	for i, f := range r.provider.Fields {
		p.Fields[f.Name] = r.values[i].Interface()
	}
	p.ID, _ = p.Field(spec.IDField)
	p.Number, _ = p.Field(spec.NumberField)
	return p
}

// FixtureError is a fixtures file that cannot be served: it names the file, the line,
// the record (1-based; 0 when the file as a whole is wrong) and, in Err, the field.
type FixtureError struct {
	File   string
	Line   int
	Record int
	ID     string
	Err    error
}

func (e *FixtureError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Record > 0 {
		fmt.Fprintf(&b, ": record %d", e.Record)
		if e.ID != "" {
			fmt.Fprintf(&b, " (_id %q)", e.ID)
		}
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *FixtureError) Unwrap() error { return e.Err }

// e164 is the phone_number format the schema's description requires.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// parseFixtures reads {"phone_numbers": [...]} (YAML or JSON) and checks every record
// against its provider's Get…Response schema, plus what the schema only describes:
// unique non-empty ids and E.164 numbers.
func parseFixtures(doc *spec.Document, file string, data []byte) ([]*record, error) {
	fail := func(line, n int, id string, err error) error {
		return &FixtureError{File: file, Line: line, Record: n, ID: id, Err: err}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail(0, 0, "", err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fail(0, 0, "", errors.New(`want a mapping with a "phone_numbers" list`))
	}
	top := root.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Value == "phone_numbers" {
			list = top.Content[i+1]
		} else {
			return nil, fail(k.Line, 0, "", fmt.Errorf("unknown key %q (want phone_numbers)", k.Value))
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fail(top.Line, 0, "", errors.New(`"phone_numbers" must be a list`))
	}
	seen := map[string]int{}
	records := make([]*record, 0, len(list.Content))
	for i, n := range list.Content {
		num := i + 1
		v, err := yamlvalue.Node(n)
		if err != nil {
			return nil, fail(n.Line, num, "", err)
		}
		id, _ := v.Get(spec.IDField)
		line := fieldLine(n, "")
		rec, err := newRecord(doc, v)
		if err != nil {
			var fe *spec.FieldError
			if errors.As(err, &fe) {
				line = fieldLine(n, fe.Field)
			}
			return nil, fail(line, num, id.Str, err)
		}
		if first, dup := seen[rec.id()]; dup {
			return nil, fail(fieldLine(n, spec.IDField), num, id.Str, &spec.FieldError{Field: spec.IDField, Err: fmt.Errorf("duplicate of record %d", first)})
		}
		seen[rec.id()] = num
		records = append(records, rec)
	}
	return records, nil
}

// newRecord checks a record object and builds it.
func newRecord(doc *spec.Document, v pyjson.Value) (*record, error) {
	if v.Kind != pyjson.Object {
		return nil, fmt.Errorf("got %s, want an object", v.Kind)
	}
	pv, ok := v.Get(spec.ProviderField)
	if !ok || pv.Kind != pyjson.String {
		return nil, &spec.FieldError{Field: spec.ProviderField, Err: fmt.Errorf("missing; want one of %s", strings.Join(doc.ProviderNames(), ", "))}
	}
	p := doc.Provider(pv.Str)
	if p == nil {
		return nil, &spec.FieldError{Field: spec.ProviderField, Err: fmt.Errorf("%q is not one of %s", pv.Str, strings.Join(doc.ProviderNames(), ", "))}
	}
	values, err := p.Record(v)
	if err != nil {
		return nil, err
	}
	rec := &record{provider: p, values: values}
	if id := values[p.Index(spec.IDField)]; id.Kind != pyjson.String || id.Str == "" {
		return nil, &spec.FieldError{Field: spec.IDField, Err: errors.New("want a non-empty string")}
	}
	if n := values[p.Index(spec.NumberField)]; n.Kind != pyjson.String || !e164.MatchString(n.Str) {
		return nil, &spec.FieldError{Field: spec.NumberField, Err: fmt.Errorf("%q is not an E.164 number (+ and up to 15 digits)", n.Str)}
	}
	for i := range values {
		if _, err := pyjson.Append(nil, values[i]); err != nil {
			return nil, &spec.FieldError{Field: p.Fields[i].Name, Err: err}
		}
	}
	return rec, nil
}

// fieldLine finds the line of a mapping's key, or of the mapping itself.
func fieldLine(n *yaml.Node, key string) int {
	if key != "" && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return n.Line
}

// DefaultSeed is the gofakeit seed used when none is given (gofakeit treats 0 as
// "random", which would make generated numbers differ between runs).
const DefaultSeed = 20260226

// generate makes n phone numbers from seed, cycling through the providers, with ids
// that do not collide with taken. The same seed gives the same numbers on every run.
func generate(doc *spec.Document, n int, seed uint64, taken map[string]bool) ([]*record, error) {
	if seed == 0 {
		seed = DefaultSeed
	}
	f := gofakeit.New(seed)
	hex := func(nBytes int) string {
		var b strings.Builder
		for b.Len() < 2*nBytes {
			fmt.Fprintf(&b, "%016x", f.Uint64())
		}
		return b.String()[:2*nBytes]
	}
	maybe := func(s string) pyjson.Value {
		if f.Bool() {
			return pyjson.StringValue(s)
		}
		return pyjson.NullValue()
	}
	countries := []string{"+1##########", "+44##########", "+49##########", "+61#########", "+880##########"}
	out := make([]*record, 0, n)
	for i := 0; i < n; i++ {
		p := doc.Providers[i%len(doc.Providers)]
		id := hex(12)
		for taken[id] {
			id = hex(12)
		}
		taken[id] = true
		number := f.Numerify(countries[f.IntRange(0, len(countries)-1)])
		number = "+" + strings.TrimLeft(number[1:], "0")
		obj := pyjson.ObjectValue(nil)
		for _, field := range p.Fields {
			var v pyjson.Value
			switch field.Name {
			case spec.IDField:
				v = pyjson.StringValue(id)
			case spec.ProviderField:
				v = pyjson.StringValue(p.Name)
			case spec.NumberField:
				v = pyjson.StringValue(number)
			case "friendly_name":
				v = maybe(f.Company() + " " + f.RandomString([]string{"support", "sales", "front desk", "after hours", "bookings"}))
			case "inbound_agent_id", "outbound_agent_id":
				v = maybe(hex(12))
			case "sip_termination_uri":
				v = maybe("sip:" + strings.ToLower(f.Username()) + "@" + f.DomainName())
			case "sip_trunk_username":
				v = maybe(strings.ToLower(f.Username()))
			case "sip_trunk_password", "twilio_auth_token":
				v = maybe(hex(16))
			case "twilio_account_sid":
				v = maybe("AC" + hex(16))
			default:
				if len(field.Enum) > 0 {
					v = pyjson.StringValue(field.Enum[f.IntRange(0, len(field.Enum)-1)])
				} else if field.Default != nil {
					v = *field.Default
				}
			}
			obj.Set(field.Name, v)
		}
		rec, err := newRecord(doc, obj)
		if err != nil {
			return nil, fmt.Errorf("mock: generated record %d: %w", i+1, err)
		}
		out = append(out, rec)
	}
	return out, nil
}
