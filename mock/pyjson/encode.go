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
	mark := len(dst)
	dst = append(dst, '"')
	start, checked := 0, false
	for i := 0; i < len(s); {
		if len(s)-i >= 8 && plainWord(s, i) { // most text: eight bytes at a time
			i += 8
			continue
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c >= utf8.RuneSelf && !checked { // what precedes is ASCII: check the rest once
				if !utf8.ValidString(s[i:]) {
					return dst[:mark], ErrUnencodable
				}
				checked = true
			}
			i++
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
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// plainWord reports whether the eight bytes of s at i are all ASCII that a JSON string
// holds as it is: none below 0x20, none a quote or a backslash, none 0x80 or above.
func plainWord(s string, i int) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	below := (x - ones*0x20) &^ x // a byte under 0x20 sets its high bit here
	zeroQ := (quote - ones) &^ quote
	zeroB := (backslash - ones) &^ backslash
	return (below|zeroQ|zeroB|x)&highs == 0
}

// Marshal returns v as Append writes it.
func Marshal(v Value) ([]byte, error) { return Append(nil, v) }
