package pyjson

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError is json.JSONDecodeError: Msg and Pos are its msg and pos, Pos counting
// characters (code points) of the decoded text, not bytes.
type SyntaxError struct {
	Msg string
	Pos int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pyjson: %s (char %d)", e.Msg, e.Pos)
}

// ErrUndecodable is what json.loads raises that is not a JSONDecodeError: the bytes are
// not text in the encoding it detects, an integer has more digits than Python converts
// (4300), or the nesting is deeper than Python's recursion limit. FastAPI answers
// those with 400 {"detail":"There was an error parsing the body"}.
var ErrUndecodable = errors.New("pyjson: body cannot be decoded by json.loads")

// MaxDepth is how deep arrays and objects may nest before Python's recursion limit
// stops json.loads in the service. CPython's decoder spends one level of the limit
// (1000) per array or object it opens, on top of the frames already on the stack
// where FastAPI calls json.loads; every container counts alike, wherever it sits
// (testdata/reference/nesting.json, recorded by nesting.py at the service's depth).
const MaxDepth = 968

// maxIntDigits is CPython's sys.int_info.default_max_str_digits (3.11+).
const maxIntDigits = 4300

// Decode parses a request body as Starlette's request.json() does: json.loads(body),
// which decodes the bytes with json.detect_encoding first.
func Decode(body []byte) (Value, error) {
	text, err := detectAndDecode(body)
	if err != nil {
		return Value{}, err
	}
	d := decoder{s: text}
	i := d.skipSpace(0)
	v, end, err := d.value(i)
	if err != nil {
		return Value{}, d.fix(err)
	}
	end = d.skipSpace(end)
	if end != len(text) {
		return Value{}, d.fix(&SyntaxError{Msg: "Extra data", Pos: end})
	}
	return v, nil
}

// detectAndDecode is bytes.decode(json.detect_encoding(b), "surrogatepass"). The text
// is WTF-8: valid UTF-8, except that a lone surrogate (UTF-8 ED A0..BF xx, or a lone
// UTF-16/32 code unit) is kept as its 3-byte generalized UTF-8 form, as Python keeps it
// in the str. Such a string decodes and validates, and fails only when it must be
// encoded into an answer (AppendString refuses it), as Python's utf-8 encode does.
func detectAndDecode(b []byte) (string, error) {
	switch {
	case hasPrefix(b, 0, 0, 0xFE, 0xFF), hasPrefix(b, 0xFF, 0xFE, 0, 0):
		return decodeUTF32(b[4:], b[0] == 0)
	case hasPrefix(b, 0xFE, 0xFF), hasPrefix(b, 0xFF, 0xFE):
		return decodeUTF16(b[2:], b[0] == 0xFE)
	case hasPrefix(b, 0xEF, 0xBB, 0xBF):
		b = b[3:]
	case len(b) >= 4 && b[0] == 0:
		if b[1] != 0 {
			return decodeUTF16(b, true)
		}
		return decodeUTF32(b, true)
	case len(b) >= 4 && b[1] == 0:
		if b[2] != 0 || b[3] != 0 {
			return decodeUTF16(b, false)
		}
		return decodeUTF32(b, false)
	case len(b) == 2 && b[0] == 0:
		return decodeUTF16(b, true)
	case len(b) == 2 && b[1] == 0:
		return decodeUTF16(b, false)
	}
	if !validWTF8(b) {
		return "", ErrUndecodable
	}
	return string(b), nil
}

// validWTF8 is Python's utf-8 decoder with surrogatepass: strict UTF-8, plus the
// 3-byte encodings of U+D800..U+DFFF.
func validWTF8(b []byte) bool {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		if len(b) >= 3 && b[0] == 0xED && b[1] >= 0xA0 && b[1] <= 0xBF && b[2]&0xC0 == 0x80 {
			b = b[3:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		b = b[n:]
	}
	return true
}

// RuneCount counts the characters of a decoded string as Python's len does: a lone
// surrogate (3 WTF-8 bytes) is one character.
func RuneCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

func hasPrefix(b []byte, p ...byte) bool {
	if len(b) < len(p) {
		return false
	}
	for i := range p {
		if b[i] != p[i] {
			return false
		}
	}
	return true
}

func decodeUTF16(b []byte, bigEndian bool) (string, error) {
	if len(b)%2 != 0 {
		return "", ErrUndecodable
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = binary.BigEndian.Uint16(b[2*i:])
		} else {
			units[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
	}
	var sb strings.Builder
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		// surrogatepass: a valid pair is one character, a lone unit stays a surrogate.
		if r >= 0xD800 && r < 0xDC00 && i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] <= 0xDFFF {
			r = utf16.DecodeRune(r, rune(units[i+1]))
			i++
		}
		writeRuneWTF8(&sb, r)
	}
	return sb.String(), nil
}

func decodeUTF32(b []byte, bigEndian bool) (string, error) {
	if len(b)%4 != 0 {
		return "", ErrUndecodable
	}
	var sb strings.Builder
	for i := 0; i < len(b); i += 4 {
		var r rune
		if bigEndian {
			r = rune(binary.BigEndian.Uint32(b[i:]))
		} else {
			r = rune(binary.LittleEndian.Uint32(b[i:]))
		}
		if r < 0 || r > unicode.MaxRune {
			return "", ErrUndecodable
		}
		writeRuneWTF8(&sb, r) // surrogatepass keeps U+D800..U+DFFF
	}
	return sb.String(), nil
}

// decoder scans a decoded text. Positions are byte offsets until fix turns them into
// the character offsets Python reports.
type decoder struct {
	s     string
	depth int
}

func (d *decoder) fix(err error) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Msg: se.Msg, Pos: RuneCount(d.s[:se.Pos])}
	}
	return err
}

func (d *decoder) skipSpace(i int) int {
	for i < len(d.s) {
		switch d.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// expectingValue is how a StopIteration surfaces: raw_decode turns it into this.
func expectingValue(i int) error { return &SyntaxError{Msg: "Expecting value", Pos: i} }

// value is scan_once.
func (d *decoder) value(i int) (Value, int, error) {
	s := d.s
	if i >= len(s) {
		return Value{}, 0, expectingValue(i)
	}
	switch s[i] {
	case '"':
		str, end, err := d.str(i + 1)
		return Value{Kind: String, Str: str}, end, err
	case '{':
		return d.nested(i, d.object)
	case '[':
		return d.nested(i, d.array)
	case 'n':
		if strings.HasPrefix(s[i:], "null") {
			return Value{}, i + 4, nil
		}
	case 't':
		if strings.HasPrefix(s[i:], "true") {
			return Value{Kind: Bool, Bool: true}, i + 4, nil
		}
	case 'f':
		if strings.HasPrefix(s[i:], "false") {
			return Value{Kind: Bool}, i + 5, nil
		}
	case 'N':
		if strings.HasPrefix(s[i:], "NaN") {
			return Value{Kind: Number, Str: "NaN"}, i + 3, nil
		}
	case 'I':
		if strings.HasPrefix(s[i:], "Infinity") {
			return Value{Kind: Number, Str: "Infinity"}, i + 8, nil
		}
	case '-':
		if strings.HasPrefix(s[i:], "-Infinity") {
			return Value{Kind: Number, Str: "-Infinity"}, i + 9, nil
		}
	}
	return d.number(i)
}

func (d *decoder) nested(i int, parse func(int) (Value, int, error)) (Value, int, error) {
	d.depth++
	if d.depth > MaxDepth {
		return Value{}, 0, ErrUndecodable
	}
	v, end, err := parse(i + 1)
	d.depth--
	return v, end, err
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number is _match_number_unicode, including its backtracking over a bare exponent.
func (d *decoder) number(start int) (Value, int, error) {
	s, i := d.s, start
	if s[i] == '-' {
		i++
		if i >= len(s) {
			return Value{}, 0, expectingValue(start)
		}
	}
	switch {
	case s[i] >= '1' && s[i] <= '9':
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	case s[i] == '0':
		i++
	default:
		return Value{}, 0, expectingValue(start)
	}
	isFloat := false
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		isFloat = true
		i += 2
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		eStart := i
		i++
		if i+1 < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if isDigit(s[i-1]) {
			isFloat = true
		} else {
			i = eStart
		}
	}
	lit := s[start:i]
	if !isFloat {
		digits := strings.TrimPrefix(lit, "-")
		if len(digits) > maxIntDigits {
			return Value{}, 0, ErrUndecodable
		}
		if digits == "0" {
			lit = "0"
		}
		return Value{Kind: Number, Str: lit}, i, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return Value{}, 0, expectingValue(start) // unreachable: the grammar above is stricter
	}
	return Value{Kind: Number, Str: FloatRepr(f)}, i, nil
}

// object is _parse_object_unicode; i is just past '{'.
func (d *decoder) object(i int) (Value, int, error) {
	s := d.s
	var members []Member
	i = d.skipSpace(i)
	if i >= len(s) || s[i] != '}' {
		for {
			if i >= len(s) || s[i] != '"' {
				return Value{}, 0, &SyntaxError{Msg: "Expecting property name enclosed in double quotes", Pos: i}
			}
			key, end, err := d.str(i + 1)
			if err != nil {
				return Value{}, 0, err
			}
			i = d.skipSpace(end)
			if i >= len(s) || s[i] != ':' {
				return Value{}, 0, &SyntaxError{Msg: "Expecting ':' delimiter", Pos: i}
			}
			i = d.skipSpace(i + 1)
			v, end, err := d.value(i)
			if err != nil {
				return Value{}, 0, err
			}
			members = setMember(members, key, v)
			i = d.skipSpace(end)
			if i < len(s) && s[i] == '}' {
				break
			}
			if i >= len(s) || s[i] != ',' {
				return Value{}, 0, &SyntaxError{Msg: "Expecting ',' delimiter", Pos: i}
			}
			i = d.skipSpace(i + 1)
		}
	}
	if members == nil {
		members = []Member{}
	}
	return Value{Kind: Object, Obj: members}, i + 1, nil
}

// setMember is dict assignment: a repeated key keeps its first position, last value.
func setMember(members []Member, key string, v Value) []Member {
	for j := range members {
		if members[j].Key == key {
			members[j].Value = v
			return members
		}
	}
	return append(members, Member{Key: key, Value: v})
}

// array is _parse_array_unicode; i is just past '['.
func (d *decoder) array(i int) (Value, int, error) {
	s := d.s
	elems := []Value{}
	i = d.skipSpace(i)
	if i >= len(s) || s[i] != ']' {
		for {
			v, end, err := d.value(i)
			if err != nil {
				return Value{}, 0, err
			}
			elems = append(elems, v)
			i = d.skipSpace(end)
			if i < len(s) && s[i] == ']' {
				break
			}
			if i >= len(s) || s[i] != ',' {
				return Value{}, 0, &SyntaxError{Msg: "Expecting ',' delimiter", Pos: i}
			}
			i = d.skipSpace(i + 1)
		}
	}
	return Value{Kind: Array, Arr: elems}, i + 1, nil
}

// str is scanstring_unicode in strict mode; end is just past the opening quote. Lone
// surrogates from \u escapes are kept as their 3-byte (WTF-8) form, so that encoding
// them later fails as Python's does.
func (d *decoder) str(end int) (string, int, error) {
	s := d.s
	begin := end - 1
	// Fast path: no escapes, the common case, and a substring costs nothing.
	for j := end; j < len(s); j++ {
		c := s[j]
		if c == '"' {
			return s[end:j], j + 1, nil
		}
		if c == '\\' {
			break
		}
		if c <= 0x1f {
			return "", 0, &SyntaxError{Msg: "Invalid control character at", Pos: j}
		}
	}
	var sb strings.Builder
	for {
		next := end
		var c byte
		for ; next < len(s); next++ {
			c = s[next]
			if c == '"' || c == '\\' {
				break
			}
			if c <= 0x1f {
				return "", 0, &SyntaxError{Msg: "Invalid control character at", Pos: next}
			}
		}
		if next >= len(s) {
			return "", 0, &SyntaxError{Msg: "Unterminated string starting at", Pos: begin}
		}
		sb.WriteString(s[end:next])
		next++
		if c == '"' {
			return sb.String(), next, nil
		}
		var err error
		if end, err = d.escape(&sb, next, begin); err != nil {
			return "", 0, err
		}
	}
}

// escape decodes the escape whose backslash is just before next into sb and
// returns where the string goes on; begin is the opening quote, for errors.
func (d *decoder) escape(sb *strings.Builder, next, begin int) (int, error) {
	s := d.s
	if next >= len(s) {
		return 0, &SyntaxError{Msg: "Unterminated string starting at", Pos: begin}
	}
	c := s[next]
	if c != 'u' {
		var r byte
		switch c {
		case '"', '\\', '/':
			r = c
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		default:
			return 0, &SyntaxError{Msg: `Invalid \escape`, Pos: next - 1}
		}
		sb.WriteByte(r)
		return next + 1, nil
	}
	next++
	end := next + 4
	if end >= len(s) {
		return 0, &SyntaxError{Msg: `Invalid \uXXXX escape`, Pos: next - 1}
	}
	r, ok := hex4(s[next:end])
	if !ok {
		return 0, &SyntaxError{Msg: `Invalid \uXXXX escape`, Pos: end - 5}
	}
	next = end
	if utf16.IsSurrogate(r) && r < 0xDC00 && end+6 < len(s) && s[next] == '\\' && s[next+1] == 'u' {
		end += 6
		r2, ok := hex4(s[next+2 : end])
		if !ok {
			return 0, &SyntaxError{Msg: `Invalid \uXXXX escape`, Pos: end - 5}
		}
		if r2 >= 0xDC00 && r2 <= 0xDFFF {
			r = utf16.DecodeRune(r, r2)
		} else {
			end -= 6
		}
	}
	writeRuneWTF8(sb, r)
	return end, nil
}

func hex4(h string) (rune, bool) {
	var r rune
	for i := 0; i < 4; i++ {
		c := h[i]
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func writeRuneWTF8(sb *strings.Builder, r rune) {
	if utf16.IsSurrogate(r) {
		sb.WriteByte(byte(0xE0 | r>>12))
		sb.WriteByte(byte(0x80 | (r>>6)&0x3F))
		sb.WriteByte(byte(0x80 | r&0x3F))
		return
	}
	sb.WriteRune(r)
}

// FloatRepr formats f as Python's repr(float) does (and json.dumps, for finite
// values): the shortest round-tripping digits, exponent form when the decimal point
// would sit more than 16 places right or 4 places left.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	decpt := exp + 1
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			return sign + "0." + strings.Repeat("0", -decpt) + digits
		case decpt >= len(digits):
			return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		default:
			return sign + digits[:decpt] + "." + digits[decpt:]
		}
	}
	out := sign + digits[:1]
	if len(digits) > 1 {
		out += "." + digits[1:]
	}
	esign := "+"
	if exp < 0 {
		esign, exp = "-", -exp
	}
	return fmt.Sprintf("%se%s%02d", out, esign, exp)
}
