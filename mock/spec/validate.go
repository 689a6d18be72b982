package spec

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// walker carries one validation pass. The same code serves the fast pass (is this
// branch valid, how many fields does it set?), the pass that builds the picked
// branch's coerced fields, and the pass that collects every error: there is one
// validation function per type, not one per path.
type walker struct {
	// collect gathers Details (then loc is maintained); otherwise validation stops
	// at the first failure and allocates nothing for errors.
	collect bool
	// build makes the coerced value (lists and models are rebuilt).
	build   bool
	details []Detail
	loc     []pyjson.Value
	locs    []pyjson.Value // the details' locs, one after another
	// count is pydantic's fields_set count, summed over nested models.
	count int
	// lax is set when a value needed a lax-mode coercion (pydantic's exactness: on
	// a tie in count, a strict branch beats a lax one).
	lax bool
}

func (w *walker) push(v pyjson.Value) {
	if w.collect {
		w.loc = append(w.loc, v)
	}
}

func (w *walker) pop() {
	if w.collect {
		w.loc = w.loc[:len(w.loc)-1]
	}
}

func (w *walker) fail(typ, msg string, input pyjson.Value, ctx []pyjson.Member) {
	if w.collect {
		// Every detail's loc is a piece of one array: a slice of it stays valid when
		// a later append moves the rest.
		start := len(w.locs)
		w.locs = append(w.locs, w.loc...)
		loc := w.locs[start:len(w.locs):len(w.locs)]
		w.details = append(w.details, Detail{Type: typ, Loc: loc, Msg: msg, Input: input, Ctx: ctx})
	}
}

// validate validates v as n, returning the value pydantic would keep.
func (n *node) validate(w *walker, v pyjson.Value) (pyjson.Value, bool) {
	if v.Kind == pyjson.Null && n.nullable {
		return v, true
	}
	var x scalar
	out, ok := v, true
	if v.Kind == pyjson.String && (n.typ == tInt || n.typ == tFloat || n.typ == tBool || n.typ == tLiteral ||
		(n.typ == tString && len(n.checks) > 0)) && !utf8.ValidString(v.Str) {
		// pydantic-core reads the str as Rust UTF-8 for these: a lone surrogate fails.
		w.fail("string_unicode", "Input should be a valid string, unable to parse raw data as a unicode string", v, nil)
		return v, false
	}
	switch n.typ {
	case tAny:
		if v.Kind == pyjson.Null && n.fallback != nil {
			w.fail("value_error", "Value error, null is not allowed", v, []pyjson.Member{{Key: "error", Value: pyjson.ObjectValue([]pyjson.Member{})}})
			return v, false
		}
	case tString:
		if v.Kind != pyjson.String {
			w.fail("string_type", "Input should be a valid string", v, nil)
			return v, false
		}
		if len(n.checks) > 0 {
			x.str, x.n = v.Str, pyjson.RuneCount(v.Str)
		}
	case tInt:
		out, ok = n.toInt(w, v, &x)
	case tFloat:
		out, ok = n.toFloat(w, v, &x)
	case tBool:
		out, ok = toBool(w, v)
	case tLiteral, tEnum:
		out, ok = n.literal(w, v)
	case tList:
		return n.list(w, v)
	case tModel:
		out, ok = n.model.validate(w, v)
	}
	if !ok {
		return v, false
	}
	for _, c := range n.checks {
		if !c.ok(x) {
			typ, msg, ctx := c.fail(x)
			w.fail(typ, msg, v, ctx)
			return v, false
		}
	}
	if n.fallback != nil && v.Kind != pyjson.Null {
		return out, n.fallback.check(w, v, out)
	}
	return out, true
}

// validate validates an object as the model b (or a whole body as b's value).
func (b *Branch) validate(w *walker, v pyjson.Value) (pyjson.Value, bool) {
	if b.whole != nil {
		return b.whole.validate(w, v)
	}
	if v.Kind != pyjson.Object {
		w.fail("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", v, nil)
		return v, false
	}
	ok := true
	var out []pyjson.Member
	if w.build {
		out = make([]pyjson.Member, 0, min(len(b.Props), len(v.Obj)))
	}
	for i := range b.Props {
		p := &b.Props[i]
		fv, present := v.Get(p.Name)
		if !present {
			if p.Required {
				w.push(pyjson.StringValue(p.Name))
				w.fail("missing", "Field required", v, nil)
				w.pop()
				ok = false
				if !w.collect {
					return v, false
				}
			}
			continue
		}
		if n := p.node; n.plain && (fv.Kind == pyjson.String || (fv.Kind == pyjson.Null && n.nullable)) {
			// Optional[str] and str, what FastAPI documents most: no call, no copy.
			w.count++
			if w.build {
				out = append(out, pyjson.Member{Key: p.Name, Value: fv})
			}
			continue
		}
		if w.collect {
			w.loc = append(w.loc, pyjson.StringValue(p.Name))
		}
		cv, fok := p.node.validate(w, fv)
		w.pop()
		if !fok {
			ok = false
			if !w.collect {
				return v, false
			}
			continue
		}
		w.count++
		if w.build {
			out = append(out, pyjson.Member{Key: p.Name, Value: cv})
		}
	}
	if b.forbidExtra {
		for _, m := range v.Obj {
			if !b.Has(m.Key) {
				w.push(pyjson.StringValue(m.Key))
				w.fail("extra_forbidden", "Extra inputs are not permitted", m.Value, nil)
				w.pop()
				ok = false
				if !w.collect {
					return v, false
				}
			}
		}
	}
	if !ok {
		return v, false
	}
	res := pyjson.ObjectValue(out)
	if b.fallback != nil {
		return res, b.fallback.check(w, v, res)
	}
	return res, true
}

func (n *node) list(w *walker, v pyjson.Value) (pyjson.Value, bool) {
	if v.Kind != pyjson.Array {
		w.fail("list_type", "Input should be a valid list", v, nil)
		return v, false
	}
	x := scalar{n: len(v.Arr)}
	for _, c := range n.checks {
		if !c.ok(x) {
			typ, msg, ctx := c.fail(x)
			w.fail(typ, msg, v, ctx)
			return v, false
		}
	}
	ok := true
	var out []pyjson.Value
	if w.build {
		out = make([]pyjson.Value, 0, len(v.Arr))
	}
	for i, e := range v.Arr {
		w.push(pyjson.NumberValue(strconv.Itoa(i)))
		ce, eok := n.items.validate(w, e)
		w.pop()
		if !eok {
			ok = false
			if !w.collect {
				return v, false
			}
		}
		if w.build {
			out = append(out, ce)
		}
	}
	if !ok {
		return v, false
	}
	for _, c := range n.after {
		if !c.ok(x) {
			typ, msg, ctx := c.fail(x)
			w.fail(typ, msg, v, ctx)
			return v, false
		}
	}
	res := v
	if w.build {
		res = pyjson.ArrayValue(out)
	}
	if n.fallback != nil {
		return res, n.fallback.check(w, v, res)
	}
	return res, true
}

// isFloatRepr tells a JSON float (Python float) from an int by its repr.
func isFloatRepr(s string) bool { return strings.ContainsAny(s, ".eEnN") }

const intParsing = "Input should be a valid integer, unable to parse string as an integer"

// toInt is pydantic's lax int in python mode: an int; a bool; a float with no
// fractional part within int64; a string of digits (whitespace stripped,
// underscores between digits, ".0…" allowed).
func (n *node) toInt(w *walker, v pyjson.Value, x *scalar) (pyjson.Value, bool) {
	var text string
	switch v.Kind {
	case pyjson.Number:
		if !isFloatRepr(v.Str) {
			text = v.Str
			break
		}
		w.lax = true
		f, _ := strconv.ParseFloat(v.Str, 64)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			w.fail("finite_number", "Input should be a finite number", v, nil)
			return v, false
		case f != math.Trunc(f):
			w.fail("int_from_float", "Input should be a valid integer, got a number with a fractional part", v, nil)
			return v, false
		case f >= 1<<63 || f < -(1<<63):
			w.fail("int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size", v, nil)
			return v, false
		}
		x.i = int64(f)
		return pyjson.NumberValue(strconv.FormatInt(x.i, 10)), true
	case pyjson.Bool:
		w.lax = true
		if v.Bool {
			x.i = 1
			return pyjson.NumberValue("1"), true
		}
		return pyjson.NumberValue("0"), true
	case pyjson.String:
		w.lax = true
		t, ok := intText(v.Str)
		if !ok {
			w.fail("int_parsing", intParsing, v, nil)
			return v, false
		}
		text = t
	default:
		w.fail("int_type", "Input should be a valid integer", v, nil)
		return v, false
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		x.i = i
	} else {
		x.big, _ = new(big.Int).SetString(text, 10)
	}
	if v.Kind == pyjson.Number {
		return v, true
	}
	return pyjson.NumberValue(text), true
}

// intText reads a string as pydantic-core's str-to-int: it returns the canonical
// decimal digits.
func intText(s string) (string, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	if i := strings.IndexByte(s, '.'); i >= 0 { // "5.00" is 5, "5." and "5.1" are not
		frac := s[i+1:]
		if frac == "" || strings.Trim(frac, "0") != "" {
			return "", false
		}
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return "", false
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sb.WriteByte(c)
		case c == '_' && i > 0 && i+1 < len(s) && isASCIIDigit(s[i-1]) && isASCIIDigit(s[i+1]):
		default:
			return "", false
		}
	}
	digits := strings.TrimLeft(sb.String(), "0")
	if digits == "" {
		return "0", true
	}
	if neg {
		digits = "-" + digits
	}
	return digits, true
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// toFloat is pydantic's lax float in python mode: a float; an int (strict); a bool;
// a string Rust's float parser reads (inf, nan, underscores between digits).
func (n *node) toFloat(w *walker, v pyjson.Value, x *scalar) (pyjson.Value, bool) {
	switch v.Kind {
	case pyjson.Number:
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil && !isFloatRepr(v.Str) {
			// an int too large for a float: Python's float(int) overflows
			w.fail("float_type", "Input should be a valid number", v, nil)
			return v, false
		}
		x.f = f
		if isFloatRepr(v.Str) {
			return v, true
		}
		return pyjson.NumberValue(pyjson.FloatRepr(f)), true
	case pyjson.Bool:
		w.lax = true
		if v.Bool {
			x.f = 1
			return pyjson.NumberValue("1.0"), true
		}
		return pyjson.NumberValue("0.0"), true
	case pyjson.String:
		w.lax = true
		f, ok := floatText(v.Str)
		if !ok {
			w.fail("float_parsing", "Input should be a valid number, unable to parse string as a number", v, nil)
			return v, false
		}
		x.f = f
		return pyjson.NumberValue(pyjson.FloatRepr(f)), true
	default:
		w.fail("float_type", "Input should be a valid number", v, nil)
		return v, false
	}
}

func floatText(s string) (float64, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "nan":
		return math.NaN(), true
	case "inf", "infinity":
		return math.Inf(map[bool]int{true: -1, false: 1}[s[0] == '-']), true
	}
	if body == "" {
		return 0, false
	}
	var sb strings.Builder
	sb.WriteString(s[:len(s)-len(body)])
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case isASCIIDigit(c), c == '.', c == 'e', c == 'E', c == '+', c == '-':
			sb.WriteByte(c)
		case c == '_' && i > 0 && i+1 < len(body) && isASCIIDigit(body[i-1]) && isASCIIDigit(body[i+1]):
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(sb.String(), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // 1e400 is inf, 1e-400 is 0.0, as in Rust
		}
		return 0, false
	}
	return f, true
}

// toBool is pydantic's lax bool in python mode.
func toBool(w *walker, v pyjson.Value) (pyjson.Value, bool) {
	switch v.Kind {
	case pyjson.Bool:
		return v, true
	case pyjson.Number:
		w.lax = true
		if !isFloatRepr(v.Str) {
			switch v.Str {
			case "0":
				return pyjson.BoolValue(false), true
			case "1":
				return pyjson.BoolValue(true), true
			}
			if _, err := strconv.ParseInt(v.Str, 10, 64); err != nil { // beyond int64
				w.fail("bool_type", "Input should be a valid boolean", v, nil)
				return v, false
			}
			w.fail("bool_parsing", "Input should be a valid boolean, unable to interpret input", v, nil)
			return v, false
		}
		f, _ := strconv.ParseFloat(v.Str, 64)
		switch {
		case f == 0:
			return pyjson.BoolValue(false), true
		case f == 1:
			return pyjson.BoolValue(true), true
		case f == math.Trunc(f) && f < 1<<63 && f >= -(1<<63):
			w.fail("bool_parsing", "Input should be a valid boolean, unable to interpret input", v, nil)
		default:
			w.fail("bool_type", "Input should be a valid boolean", v, nil)
		}
		return v, false
	case pyjson.String:
		w.lax = true
		switch strings.ToLower(v.Str) {
		case "0", "off", "f", "false", "n", "no":
			return pyjson.BoolValue(false), true
		case "1", "on", "t", "true", "y", "yes":
			return pyjson.BoolValue(true), true
		}
		w.fail("bool_parsing", "Input should be a valid boolean, unable to interpret input", v, nil)
		return v, false
	default:
		w.fail("bool_type", "Input should be a valid boolean", v, nil)
		return v, false
	}
}

// literal is Literal[...] (literal_error) and an Enum class (enum). Python equality
// decides: Literal[1] takes 1.0 and True (lax); an int Enum also takes "1" (lax);
// an Enum is lax for every plain value (strict mode wants a member).
func (n *node) literal(w *walker, v pyjson.Value) (pyjson.Value, bool) {
	for _, l := range n.literals {
		if l.Equal(v) {
			if n.typ == tEnum {
				w.lax = true
			}
			return l, true
		}
	}
	for _, l := range n.literals {
		if l.Kind != pyjson.Number || isFloatRepr(l.Str) {
			continue
		}
		match := false
		switch v.Kind {
		case pyjson.Bool:
			match = (l.Str == "1" && v.Bool) || (l.Str == "0" && !v.Bool)
		case pyjson.Number:
			f, err := strconv.ParseFloat(v.Str, 64)
			g, _ := strconv.ParseFloat(l.Str, 64)
			match = err == nil && f == g && isFloatRepr(v.Str)
		case pyjson.String:
			t, ok := intText(v.Str)
			match = n.typ == tEnum && ok && t == l.Str && !strings.Contains(v.Str, "_")
		}
		if match {
			w.lax = true
			return l, true
		}
	}
	expected := literalValues(n.literals)
	typ := "literal_error"
	if n.typ == tEnum {
		typ = "enum"
	}
	w.fail(typ, "Input should be "+expected, v, []pyjson.Member{{Key: "expected", Value: pyjson.StringValue(expected)}})
	return v, false
}

// literalValues is pydantic's expected-values text: 'a', 'b' or 3.
func literalValues(values []pyjson.Value) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		switch v.Kind {
		case pyjson.String:
			quoted[i] = "'" + v.Str + "'"
		case pyjson.Bool:
			quoted[i] = map[bool]string{true: "True", false: "False"}[v.Bool]
		default:
			quoted[i] = v.Str
		}
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}
