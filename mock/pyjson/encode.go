package pyjson

import (
	"errors"
	"unicode/utf8"
)

// ErrUnencodable is what json.dumps(..., allow_nan=False) and the UTF-8 encoding of
// its result raise: a NaN or infinite number, or a lone surrogate in a string.
// Starlette turns it into a plain-text 500 "Internal Server Error".
var ErrUnencodable = errors.New("pyjson: value cannot be encoded as JSON")

const hexDigits = "0123456789abcdef"

// Append appends v to dst as compact JSON with non-ASCII characters unescaped.
func Append(dst []byte, v Value) ([]byte, error) {
	var err error
	switch v.Kind {
	case Null:
		dst = append(dst, "null"...)
	case Bool:
		if v.Bool {
			dst = append(dst, "true"...)
		} else {
			dst = append(dst, "false"...)
		}
	case Number:
		if v.Str == "NaN" || v.Str == "Infinity" || v.Str == "-Infinity" {
			return dst, ErrUnencodable
		}
		dst = append(dst, v.Str...)
	case String:
		return AppendString(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.Arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = Append(dst, e); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i, m := range v.Obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = AppendString(dst, m.Key); err != nil {
				return dst, err
			}
			dst = append(dst, ':')
			if dst, err = Append(dst, m.Value); err != nil {
				return dst, err
			}
		}
		dst = append(dst, '}')
	}
	return dst, nil
}

// AppendString appends s as a JSON string the way json.dumps(ensure_ascii=False) does:
// only '"', '\\' and control characters are escaped. A string that is not valid UTF-8
// (it holds a lone surrogate) cannot be sent and gives ErrUnencodable.
func AppendString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return dst, ErrUnencodable
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// Marshal returns v as Append writes it.
func Marshal(v Value) ([]byte, error) { return Append(nil, v) }
