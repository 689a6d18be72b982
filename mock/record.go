package mock

import (
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

func (r *record) id() string     { return r.values[r.provider.Index(spec.IDField)].Str }
func (r *record) number() string { return r.values[r.provider.Index(spec.NumberField)].Str }

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
