package pyjson

import (
	"strings"
	"unicode/utf8"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of Value, named as Python's json module maps them.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{Null: "null", Bool: "boolean", Number: "number", String: "string", Array: "array", Object: "object"}

// nests reports whether a value of kind k holds values: an array or an object.
func (k Kind) nests() bool { return k == Array || k == Object }

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is one decoded JSON value. The zero Value is null.
type Value struct {
	Kind Kind
	// Bool holds a Bool's value.
	Bool bool
	// Str holds a String's text, or a Number as Python's repr prints it
	// ("5", "1.0", "1e+16", "NaN", "-Infinity"). A String's text is WTF-8: UTF-8,
	// except that a lone surrogate Python's json kept (a \ud800 escape, or bytes
	// decoded with surrogatepass) is its 3-byte generalized UTF-8 form (ED A0..BF xx).
	// Such text is not valid UTF-8, so Append refuses it (ErrUnencodable) as Python's
	// utf-8 encode does; Encodable tells beforehand.
	Str string
	// Arr holds an Array's elements.
	Arr []Value
	// Obj holds an Object's members in insertion order, keys unique.
	Obj []Member
}

// Member is one key and value of an Object.
type Member struct {
	Key   string
	Value Value
}

// NullValue, StringValue and friends build Values.
func NullValue() Value             { return Value{} }
func StringValue(s string) Value   { return Value{Kind: String, Str: s} }
func BoolValue(b bool) Value       { return Value{Kind: Bool, Bool: b} }
func ObjectValue(m []Member) Value { return Value{Kind: Object, Obj: m} }
func ArrayValue(a []Value) Value   { return Value{Kind: Array, Arr: a} }

// NumberValue returns a Number from its Python repr.
func NumberValue(repr string) Value { return Value{Kind: Number, Str: repr} }

// Get returns the member named key of an Object.
func (v Value) Get(key string) (Value, bool) {
	for i := range v.Obj {
		if v.Obj[i].Key == key {
			return v.Obj[i].Value, true
		}
	}
	return Value{}, false
}

// Set replaces the member named key, or appends it.
func (v *Value) Set(key string, val Value) {
	for i := range v.Obj {
		if v.Obj[i].Key == key {
			v.Obj[i].Value = val
			return
		}
	}
	v.Obj = append(v.Obj, Member{Key: key, Value: val})
}

// Encodable reports whether Append can write v: no NaN or infinite number and no
// lone surrogate anywhere in it. It does not allocate.
func (v Value) Encodable() bool {
	switch v.Kind {
	case Number:
		return v.Str != "NaN" && v.Str != "Infinity" && v.Str != "-Infinity"
	case String:
		return utf8.ValidString(v.Str)
	case Array:
		for i := range v.Arr {
			if !v.Arr[i].Encodable() {
				return false
			}
		}
	case Object:
		for i := range v.Obj {
			if !utf8.ValidString(v.Obj[i].Key) || !v.Obj[i].Value.Encodable() {
				return false
			}
		}
	}
	return true
}

// NestsDeeper reports whether v's arrays and objects nest more than n deep, v itself
// counting as one level when it is one: json.dumps spends a level of Python's
// recursion limit on each. It stops at the first path deeper than n, skips scalars
// without a call, and does not allocate.
func (v *Value) NestsDeeper(n int) bool {
	switch v.Kind {
	case Array:
		if n <= 0 {
			return true
		}
		for i := range v.Arr {
			if v.Arr[i].Kind.nests() && v.Arr[i].NestsDeeper(n-1) {
				return true
			}
		}
	case Object:
		if n <= 0 {
			return true
		}
		for i := range v.Obj {
			if v.Obj[i].Value.Kind.nests() && v.Obj[i].Value.NestsDeeper(n-1) {
				return true
			}
		}
	}
	return false
}

// Clone returns a deep copy of v that shares no memory with it (the decoded body's
// text included), for values a store keeps beyond the request.
func (v Value) Clone() Value {
	v.Str = strings.Clone(v.Str)
	if v.Arr != nil {
		arr := make([]Value, len(v.Arr))
		for i, e := range v.Arr {
			arr[i] = e.Clone()
		}
		v.Arr = arr
	}
	if v.Obj != nil {
		obj := make([]Member, len(v.Obj))
		for i, m := range v.Obj {
			obj[i] = Member{Key: strings.Clone(m.Key), Value: m.Value.Clone()}
		}
		v.Obj = obj
	}
	return v
}

// ReplaceMembers returns a copy of v in which every object member, at any depth, for
// which replace answers true gets the value it returns (and is not walked into);
// v is not changed. Redaction of secrets is built on it.
func (v Value) ReplaceMembers(replace func(key string, val Value) (Value, bool)) Value {
	switch v.Kind {
	case Object:
		obj := make([]Member, len(v.Obj))
		for i, m := range v.Obj {
			if val, ok := replace(m.Key, m.Value); ok {
				m.Value = val
			} else {
				m.Value = m.Value.ReplaceMembers(replace)
			}
			obj[i] = m
		}
		return ObjectValue(obj)
	case Array:
		arr := make([]Value, len(v.Arr))
		for i, e := range v.Arr {
			arr[i] = e.ReplaceMembers(replace)
		}
		return ArrayValue(arr)
	}
	return v
}

// Equal reports whether two values are the same JSON, members compared in order.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case Null:
		return true
	case Bool:
		return v.Bool == w.Bool
	case Number, String:
		return v.Str == w.Str
	case Array:
		if len(v.Arr) != len(w.Arr) {
			return false
		}
		for i := range v.Arr {
			if !v.Arr[i].Equal(w.Arr[i]) {
				return false
			}
		}
		return true
	default:
		if len(v.Obj) != len(w.Obj) {
			return false
		}
		for i := range v.Obj {
			if v.Obj[i].Key != w.Obj[i].Key || !v.Obj[i].Value.Equal(w.Obj[i].Value) {
				return false
			}
		}
		return true
	}
}

// Interface converts v to the types encoding/json produces (map[string]any, []any,
// float64 replaced by json.Number-compatible strings are not needed: numbers become
// float64 unless they are integers that fit an int64).
func (v Value) Interface() any {
	switch v.Kind {
	case Bool:
		return v.Bool
	case Number:
		return NumberText(v.Str)
	case String:
		return v.Str
	case Array:
		out := make([]any, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = e.Interface()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Obj))
		for _, m := range v.Obj {
			out[m.Key] = m.Value.Interface()
		}
		return out
	default:
		return nil
	}
}

// NumberText is a number's JSON text. It marshals as a bare number, like json.Number.
type NumberText string

// MarshalJSON writes the number as it is.
func (n NumberText) MarshalJSON() ([]byte, error) { return []byte(n), nil }
