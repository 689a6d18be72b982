package pyjson

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFloatRepr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {100000, "100000.0"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1.5e-7, "1.5e-07"}, {0.0001, "0.0001"},
		{0.00001, "1e-05"}, {123.456, "123.456"}, {-2.5, "-2.5"}, {1e300, "1e+300"},
		{0.30000000000000004, "0.30000000000000004"}, {math.Inf(1), "Infinity"}, {math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := FloatRepr(tt.f); got != tt.want {
			t.Errorf("FloatRepr(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		msg string
		pos int
	}{
		{`{"friendly_name":`, "Expecting value", 17},
		{`{"é":1,}`, "Expecting property name enclosed in double quotes", 7}, // characters, not bytes
		{`[1 2]`, "Expecting ',' delimiter", 3},
		{`{"a" 1}`, "Expecting ':' delimiter", 5},
		{`01`, "Extra data", 1},
		{`"abc`, "Unterminated string starting at", 0},
		{"\"a\nb\"", "Invalid control character at", 2},
		{`"\x"`, `Invalid \escape`, 1},
		{`"\u12"`, `Invalid \uXXXX escape`, 2},
		{``, "Expecting value", 0},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg != tt.msg || se.Pos != tt.pos {
			t.Errorf("Decode(%q) = %v, want %s at %d", tt.in, err, tt.msg, tt.pos)
		}
	}
	for _, in := range []string{"\xff", `[` + string(make([]byte, 0)) + repeat("[", MaxDepth+1), `1` + repeat("0", 4300)} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrUndecodable) {
			t.Errorf("Decode(%.20q…) = %v, want ErrUndecodable", in, err)
		}
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}

func TestDictSemantics(t *testing.T) {
	t.Parallel()
	v, err := Decode([]byte(`{"a":1,"b":2,"a":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := Marshal(v); string(out) != `{"a":3,"b":2}` {
		t.Errorf("got %s, want the first position with the last value", out)
	}
}

func TestAppendString(t *testing.T) {
	t.Parallel()
	out, err := AppendString(nil, "<é>&\u2028\"\\\n\x01\x7f")
	if err != nil || string(out) != `"<é>&`+"\u2028"+`\"\\\n\u0001`+"\x7f"+`"` {
		t.Errorf("got %s %v", out, err)
	}
	if _, err := AppendString(nil, "\xed\xa0\x80"); !errors.Is(err, ErrUnencodable) {
		t.Errorf("lone surrogate: %v", err)
	}
}

// AppendString reads eight bytes at a time: every byte it must escape or check, at
// every place in and around a word, comes out as a byte-at-a-time encoder writes it.
func TestAppendStringWords(t *testing.T) {
	t.Parallel()
	byByte := func(s string) (string, bool) {
		if !utf8.ValidString(s) {
			return "", false
		}
		out := []byte{'"'}
		for _, c := range []byte(s) {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c == '\n':
				out = append(out, `\n`...)
			case c == '\r':
				out = append(out, `\r`...)
			case c == '\t':
				out = append(out, `\t`...)
			case c == '\b':
				out = append(out, `\b`...)
			case c == '\f':
				out = append(out, `\f`...)
			case c < 0x20:
				out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				out = append(out, c)
			}
		}
		return string(append(out, '"')), true
	}
	specials := []string{"\x00", "\x1f", "\x20", "\"", "\\", "\x7f", "é", "\u2028", "😀", "\xed\xa0\x80", "\xff", "\xc3", "!", "#", "[", "]", "\x21\x22"}
	for n := range 20 {
		for at := 0; at <= n; at++ {
			for _, sp := range specials {
				s := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				want, ok := byByte(s)
				got, err := AppendString([]byte("pre"), s)
				if !ok {
					if !errors.Is(err, ErrUnencodable) || string(got) != "pre" {
						t.Errorf("%q: %q %v, want ErrUnencodable and dst as it was", s, got, err)
					}
					continue
				}
				if err != nil || string(got) != "pre"+want {
					t.Errorf("%q: %s %v, want %s", s, got, err, want)
				}
			}
		}
	}
}

// FuzzDecode: Decode never panics; what it accepts, encoding/json reads the same way
// once re-encoded, and decoding the encoding gives the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"friendly_name":"x"}`, `[1,2.5e3,-0,"\u00e9"]`, `{"a":{"b":[null,true]}}`, `NaN`, `"\ud83d\ude00"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			return
		}
		out, err := Marshal(v)
		if err != nil {
			return // NaN, Infinity, lone surrogates: Python cannot send them either
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("Marshal(Decode(%q)) = %q is not valid JSON", b, out)
		}
		again, err := Decode(out)
		if err != nil || !again.Equal(v) {
			t.Fatalf("round trip of %q: %v", b, err)
		}
	})
}

// TestSurrogatepass: what json.loads(bytes) decodes with surrogatepass is decoded,
// lone surrogates kept as WTF-8, and refused only when encoded (as CPython's
// json.loads and str.encode("utf-8") do; the cases were run on CPython 3.11).
func TestSurrogatepass(t *testing.T) {
	t.Parallel()
	u16le := func(units ...uint16) []byte {
		var b []byte
		for _, u := range units {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	tests := []struct {
		name        string
		in          []byte
		want        string // the decoded string, as WTF-8
		chars       int    // len() in Python
		encodable   bool
		undecodable bool
	}{
		{"utf-8 lone high", []byte("\"\xed\xa0\x80\""), "\xed\xa0\x80", 1, false, false},
		{"utf-8 lone low", []byte("\"\xed\xbf\xbf\""), "\xed\xbf\xbf", 1, false, false},
		{"utf-8 encoded pair stays two", []byte("\"\xed\xa0\x80\xed\xb0\x80\""), "\xed\xa0\x80\xed\xb0\x80", 2, false, false},
		{"U+D7FF is not a surrogate", []byte("\"\xed\x9f\xbf\""), "\ud7ff", 1, true, false},
		{"escape", []byte(`"\ud800"`), "\xed\xa0\x80", 1, false, false},
		{"escaped pair", []byte(`"\ud83d\ude00"`), "😀", 1, true, false},
		{"utf-16le lone unit", u16le('"', 0xD800, '"'), "\xed\xa0\x80", 1, false, false},
		{"utf-16le bom, lone low", append([]byte{0xFF, 0xFE}, u16le('"', 0xDC00, '"')...), "\xed\xb0\x80", 1, false, false},
		{"utf-16le pair", u16le('"', 0xD83D, 0xDE00, '"'), "😀", 1, true, false},
		{"utf-32be bom, lone", []byte{0, 0, 0xFE, 0xFF, 0, 0, 0, '"', 0, 0, 0xDF, 0xFF, 0, 0, 0, '"'}, "\xed\xbf\xbf", 1, false, false},
		{"truncated utf-8 surrogate", []byte("\"\xed\xa0\""), "", 0, false, true},
		{"beyond U+10FFFF", []byte("\"\xf4\x90\x80\x80\""), "", 0, false, true},
		{"overlong", []byte("\"\xe0\x80\x80\""), "", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := Decode(tt.in)
			if tt.undecodable {
				if !errors.Is(err, ErrUndecodable) {
					t.Fatalf("Decode = %v, %v; want ErrUndecodable", v, err)
				}
				return
			}
			if err != nil || v.Kind != String || v.Str != tt.want {
				t.Fatalf("Decode = %+q, %v; want %+q", v.Str, err, tt.want)
			}
			if n := RuneCount(v.Str); n != tt.chars {
				t.Errorf("RuneCount = %d, want %d", n, tt.chars)
			}
			_, err = Marshal(ArrayValue([]Value{v}))
			if v.Encodable() != tt.encodable || (err == nil) != tt.encodable {
				t.Errorf("Encodable = %v, Marshal error %v; want encodable %v", v.Encodable(), err, tt.encodable)
			}
			if tt.encodable == false && !errors.Is(err, ErrUnencodable) {
				t.Errorf("Marshal error %v, want ErrUnencodable", err)
			}
		})
	}
	// The offset of a syntax error counts a lone surrogate as one character.
	_, err := Decode([]byte("[\"\xed\xa0\x80\",]"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 5 {
		t.Errorf("syntax error after a surrogate: %v, want Expecting value at char 5", err)
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	v, err := Decode([]byte(`{"a":["x",{"b":"y"}],"c":"z"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := v.Clone()
	if !c.Equal(v) {
		t.Fatal("clone differs")
	}
	c.Obj[0].Value.Arr[1].Obj[0].Value.Str = "changed"
	if v.Obj[0].Value.Arr[1].Obj[0].Value.Str != "y" {
		t.Error("clone shares memory with the original")
	}
}

// TestNestingReference replays ../testdata/reference/nesting.json (recorded from
// CPython's json.loads by nesting.py at the service's stack depth): for every shape,
// the deepest body that parses parses, and one level deeper cannot be decoded.
func TestNestingReference(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/reference/nesting.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Shape, Parses, Fails string
			Depth                int
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 8 {
		t.Fatalf("nesting corpus has %d cases", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		if c.Depth != MaxDepth {
			t.Errorf("%s: CPython gives up past %d, MaxDepth is %d", c.Shape, c.Depth, MaxDepth)
		}
		if _, err := Decode([]byte(c.Parses)); err != nil {
			t.Errorf("%s at depth %d: %v, want it parsed", c.Shape, c.Depth, err)
		}
		if _, err := Decode([]byte(c.Fails)); !errors.Is(err, ErrUndecodable) {
			t.Errorf("%s at depth %d: %v, want ErrUndecodable", c.Shape, c.Depth+1, err)
		}
	}
}
