package contract

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// genCase is one generated differential case: one or more requests on one number,
// sent to the target and to the oracle from the same state.
type genCase struct {
	Index    int
	Category string
	// Provider is the provider of the number the case runs on.
	Provider string
	Steps    []genStep
	round    int // how many times the categories have come round before this case
}

// genStep is one generated request. Its body is kept in parts (members, encoding)
// so that the shrinker can take them away one by one.
type genStep struct {
	Method string
	// Path is a template: {id} is the number's id, {ID} the same id in another case,
	// {unknown} an id no number has.
	Path        string
	ContentType *string
	// Members, when Object is true, are the body: a JSON object written member by
	// member (keys may repeat), keys and values as raw JSON text.
	Object  bool
	Members []member
	// Raw is the body's text when Object is false.
	Raw string
	// Encoding is how the text is turned into bytes: "" (UTF-8) or one of encodings.
	Encoding string
	// Space writes the object with a space after ':' and ','.
	Space bool
	// Limit, when set, says why a 400 or 413 on one side only is a limit of the
	// service's stack the fake cannot know (a nesting depth near the interpreter's
	// limit, a body size): the case is then a note, not a failure.
	Limit string
}

type member struct{ Key, Value string }

// encodings Python's json.detect_encoding recognises.
var encodings = []string{"utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16-bom", "utf-32-bom"}

// text is the body before encoding.
func (s genStep) text() string {
	if !s.Object {
		return s.Raw
	}
	var b strings.Builder
	colon, comma := ":", ","
	if s.Space {
		colon, comma = ": ", ", "
	}
	b.WriteByte('{')
	for i, m := range s.Members {
		if i > 0 {
			b.WriteString(comma)
		}
		b.WriteString(m.Key)
		b.WriteString(colon)
		b.WriteString(m.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// body is the bytes sent.
func (s genStep) body() []byte { return encode(s.text(), s.Encoding) }

func encode(text, enc string) []byte {
	switch enc {
	case "utf-8-sig":
		return append([]byte{0xEF, 0xBB, 0xBF}, text...)
	case "utf-16-le", "utf-16-be", "utf-16-bom":
		var out []byte
		if enc == "utf-16-bom" {
			out = append(out, 0xFF, 0xFE)
		}
		for _, u := range utf16.Encode([]rune(text)) {
			if enc == "utf-16-be" {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	case "utf-32-le", "utf-32-be", "utf-32-bom":
		var out []byte
		if enc == "utf-32-bom" {
			out = append(out, 0xFF, 0xFE, 0, 0)
		}
		for _, r := range text {
			if enc == "utf-32-be" {
				out = append(out, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
			} else {
				out = append(out, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
			}
		}
		return out
	}
	return []byte(text)
}

// wire resolves the step for a number.
// origin is what the judge reads of the step beyond its bytes.
func (s genStep) origin(category string) judge.Origin {
	o := judge.Origin{Category: category, Path: s.Path, Encoding: s.Encoding}
	if s.Object {
		seen := map[string]bool{}
		for _, m := range s.Members {
			if seen[m.Key] {
				o.Duplicates = append(o.Duplicates, strings.Trim(m.Key, `"`))
			}
			seen[m.Key] = true
		}
	}
	return o
}

func (s genStep) wire(id, unknown string) judge.Request {
	p := strings.NewReplacer("{id}", url.PathEscape(id), "{ID}", url.PathEscape(otherCase(id)), "{unknown}", unknown,
		"{id%}", pctFirst(id, "%"), "{id%25}", pctFirst(id, "%25"), "{prefix}", url.PathEscape(prefix(id))).Replace(s.Path)
	return judge.Request{Method: s.Method, Path: p, ContentType: s.ContentType, Body: s.body()}
}

// pctFirst is the id with its first byte percent-encoded after pct ("%": once, "%25":
// twice), which a server decodes once before routing.
func pctFirst(id, pct string) string {
	if id == "" {
		return id
	}
	return fmt.Sprintf("%s%02X", pct, id[0]) + url.PathEscape(id[1:])
}

// prefix is a proper prefix of an id (no number has it): a lookup by prefix shows.
func prefix(id string) string {
	if len(id) < 2 {
		return id + "-"
	}
	return id[:len(id)-1]
}

// otherCase swaps the case of every letter of an id.
func otherCase(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, id)
}

// unknownID is an id no number has, the same for every attempt at a case.
func unknownID(seed uint64, index int) string {
	rng := rand.New(rand.NewPCG(seed^0x5eed, uint64(index)))
	return fmt.Sprintf("%016x%08x", rng.Uint64(), rng.Uint32())
}

// generator builds cases from the loaded document: property names and branches come
// from the request union, providers and their fields from the 200 response.
type generator struct {
	doc       *spec.Document
	providers []string // providers the run has numbers of
	props     []string // every branch's property names, in union order, once
	common    []string // the properties every branch declares (all props if none)
	unknown   []string // keys no branch declares
}

func newGenerator(doc *spec.Document, providers []string) *generator {
	g := &generator{doc: doc, providers: providers}
	for _, b := range doc.Union.Branches {
		for _, p := range b.Props {
			if !slices.Contains(g.props, p.Name) {
				g.props = append(g.props, p.Name)
			}
		}
	}
	for _, name := range g.props {
		every := true
		for _, b := range doc.Union.Branches {
			every = every && b.Has(name)
		}
		if every {
			g.common = append(g.common, name)
		}
	}
	if len(g.common) == 0 {
		g.common = g.props
	}
	add := func(k string) {
		if !slices.Contains(g.props, k) && !slices.Contains(g.unknown, k) {
			g.unknown = append(g.unknown, k)
		}
	}
	// Fields a record has but no update declares (_id, provider, phone_number, …).
	for _, p := range doc.Providers {
		for _, f := range p.Fields {
			add(f.Name)
		}
	}
	add("extra")
	add("")
	add("é")
	if len(g.props) > 0 {
		add(strings.ToUpper(g.props[0]))
		add(strings.ReplaceAll(g.props[0], "_", "-"))
		add(g.props[0] + " ")
	}
	return g
}

// category is one kind of generated case; make fills in the steps.
type category struct {
	name string
	make func(g *generator, rng *rand.Rand, c *genCase)
}

// categories, in the order cases cycle through them: the first len(categories)
// cases of any run cover every one.
var categories = []category{
	{"union: pick each branch", (*generator).pickBranch},
	{"union: tie", (*generator).tie},
	{"union: drop own-provider fields", (*generator).dropOwn},
	{"values: every JSON type", (*generator).anyTypes},
	{"values: tricky strings", (*generator).trickyStrings},
	{"update: set, clear, leave", (*generator).setClear},
	{"keys: unknown", (*generator).unknownKeys},
	{"keys: duplicate", (*generator).duplicates},
	{"body: not an object", (*generator).nonObject},
	{"body: empty, blank or null", (*generator).empty},
	{"json: truncated", (*generator).truncated},
	{"json: bad escapes", (*generator).badEscape},
	{"json: control characters", (*generator).controlChars},
	{"json: malformed", (*generator).malformed},
	{"encoding: BOM, UTF-16, UTF-32", (*generator).encoded},
	{"encoding: not UTF-8", (*generator).notUTF8},
	{"content type", (*generator).contentType},
	{"method", (*generator).method},
	{"path", (*generator).path},
	{"lookup: unknown id", (*generator).unknownIDCase},
	{"sequence: update, clear, read", (*generator).sequence},
	{"path: id forms", (*generator).idForms},
	{"query", (*generator).query},
	{"values: lists, normal forms, padding, controls", (*generator).oddStrings},
	{"values: long strings", (*generator).longStrings},
	{"json: nesting", (*generator).nesting},
	{"encoding: charset and non-UTF-8 text", (*generator).charsets},
	{"keys: response-only", (*generator).responseOnly},
	{"update: invalid with valid fields", (*generator).invalidWithValid},
	{"lookup: unknown id twice", (*generator).unknownTwice},
	{"transport: body size", (*generator).bodySize},
}

// caseAt builds case index of a run seeded with seed; the same pair gives the same
// case on any machine, which is what --replay SEED:INDEX relies on.
func (g *generator) caseAt(seed uint64, index int) genCase {
	rng := rand.New(rand.NewPCG(seed, uint64(index)))
	cat := categories[index%len(categories)]
	c := genCase{Index: index, Category: cat.name, Provider: g.providers[rng.IntN(len(g.providers))], round: index / len(categories)}
	cat.make(g, rng, &c)
	return c
}

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// nth takes the options of a category in turn, case after case, so that a run of
// N cases covers the first N/len(categories) of them whatever the seed.
func nth[T any](c *genCase, list []T) T { return list[c.round%len(list)] }

var jsonCT = judge.JSONType

// patch is a step on the number with an object body.
func patch(members ...member) genStep {
	return genStep{Method: http.MethodPatch, Path: "/v1/phone-numbers/{id}", ContentType: &jsonCT, Object: true, Members: members}
}

func rawPatch(text string) genStep {
	return genStep{Method: http.MethodPatch, Path: "/v1/phone-numbers/{id}", ContentType: &jsonCT, Raw: text}
}

func key(k string) string { b, _ := pyjson.AppendString(nil, k); return string(b) }

// str is a JSON string literal of s.
func str(s string) string { return key(s) }

// validValue is a value prop accepts: a string (of its enum if it has one), or null.
func validValue(rng *rand.Rand, p spec.Prop) string {
	if p.Nullable && rng.IntN(4) == 0 {
		return "null"
	}
	if len(p.Enum) > 0 {
		return str(pick(rng, p.Enum))
	}
	return pick(rng, plainStrings)
}

var plainStrings = []string{`"x"`, `"New name"`, `"agent-42"`, `"sip:pbx@example.net"`, `""`, `"AC0000000000000000000000000000000a"`, `"été"`, `"a b"`}

// trickyStringValues are strings as raw JSON: escapes, empty, non-BMP, control
// characters escaped, a lone surrogate (which Python can decode but not encode).
var trickyStringValues = []string{
	`""`, `" "`, `"a\"b\\c"`, `"line\nbreak\ttab"`, `"\u00e9t\u00e9"`, `"été"`, `"😀"`, `"\ud83d\ude00"`,
	`"\u0000"`, `"\/slash"`, `"<b>&amp;</b>"`, `"null"`, `"123"`, `"\u2028\u2029"`, `"ß\u0301"`,
	`"` + strings.Repeat("long", 64) + `"`, `"\ud800"`, `"\udfff tail"`, `"\b\f\r"`, `"日本語"`,
}

// anyValues are values of every JSON type, tricky numbers included.
var anyValues = []string{
	"true", "1.0", "123", "NaN", "[]", "{}", "-0.0", "12345678901234567890123456789", "false", "1e400", "null",
	`[1,"a",null]`, "-Infinity", `{"a":1}`, "0", "-1", "-0", "1.5", "0.1", "-1e400", "1E2", "2.5e-3", "Infinity",
	`{"friendly_name":"x"}`, `"x"`, `""`, `"😀"`, "[[]]", `[{"b":[true]}]`,
}

// members picks up to n distinct properties, each with a value from values.
func (g *generator) randomMembers(rng *rand.Rand, names []string, n int, value func(name string) string) []member {
	names = slices.Clone(names)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	if n > len(names) {
		n = len(names)
	}
	out := make([]member, 0, n)
	for _, name := range names[:n] {
		out = append(out, member{key(name), value(name)})
	}
	return out
}

func (g *generator) prop(name string) spec.Prop {
	for _, b := range g.doc.Union.Branches {
		for _, p := range b.Props {
			if p.Name == name {
				return p
			}
		}
	}
	return spec.Prop{Name: name, Nullable: true}
}

// validMembers picks up to n properties with values every branch declaring them accepts.
func (g *generator) validMembers(rng *rand.Rand, names []string, n int) []member {
	return g.randomMembers(rng, names, n, func(name string) string { return validValue(rng, g.prop(name)) })
}

// decodeMembers decodes members the way the target must (last duplicate wins).
func decodeMembers(ms []member) pyjson.Value {
	v, err := pyjson.Decode([]byte(genStep{Object: true, Members: ms}.text()))
	if err != nil {
		return pyjson.Value{}
	}
	return v
}

// until draws bodies until ok accepts one (at most 60 tries, then the last).
func until(make func() []member, ok func(v pyjson.Value) bool) []member {
	var ms []member
	for range 60 {
		ms = make()
		if ok(decodeMembers(ms)) {
			break
		}
	}
	return ms
}

func (g *generator) pickBranch(rng *rand.Rand, c *genCase) {
	b := pick(rng, g.doc.Union.Branches)
	var own []string
	for _, p := range b.Props {
		own = append(own, p.Name)
	}
	ms := until(func() []member {
		ms := g.validMembers(rng, own, 1+rng.IntN(len(own)))
		if rng.IntN(2) == 0 {
			ms = append(ms, g.validMembers(rng, g.props, 1)...)
		}
		return ms
	}, func(v pyjson.Value) bool { return g.doc.Union.Validate(v).Branch == b })
	c.Steps = []genStep{patch(ms...)}
}

func (g *generator) tie(rng *rand.Rand, c *genCase) {
	ms := until(func() []member { return g.validMembers(rng, g.props, 1+rng.IntN(4)) }, g.tied)
	c.Steps = []genStep{patch(ms...)}
}

// tied reports whether two passing branches share the highest count of own fields
// but not the same fields.
func (g *generator) tied(v pyjson.Value) bool {
	best, bestCount, ties := -1, -1, 0
	for i, b := range g.doc.Union.Branches {
		if !g.passes(b, v) {
			continue
		}
		n := 0
		for _, p := range b.Props {
			if _, ok := v.Get(p.Name); ok {
				n++
			}
		}
		switch {
		case n > bestCount:
			best, bestCount, ties = i, n, 0
		case n == bestCount:
			ties++
		}
	}
	return best >= 0 && ties > 0 && bestCount > 0
}

func (g *generator) passes(b *spec.Branch, v pyjson.Value) bool {
	one := spec.Union{Branches: []*spec.Branch{b}}
	return one.Validate(v).Branch != nil
}

func (g *generator) dropOwn(rng *rand.Rand, c *genCase) {
	p := g.doc.Provider(c.Provider)
	ms := until(func() []member { return g.validMembers(rng, g.props, 2+rng.IntN(4)) }, func(v pyjson.Value) bool {
		res := g.doc.Union.Validate(v)
		if res.Branch == nil {
			return false
		}
		for _, m := range v.Obj {
			if p.Index(m.Key) >= 0 && !res.Branch.Has(m.Key) {
				return true
			}
		}
		return false
	})
	c.Steps = []genStep{patch(ms...)}
}

func (g *generator) anyTypes(rng *rand.Rand, c *genCase) {
	// A value on a property every branch declares fails every branch: the 422 then
	// shows how the value was read and echoed. Values in turn, so that a short run
	// covers every type.
	ms := []member{{key(pick(rng, g.common)), nth(c, anyValues)}}
	ms = append(ms, g.randomMembers(rng, g.props, rng.IntN(3), func(string) string { return pick(rng, anyValues) })...)
	if rng.IntN(2) == 0 {
		ms = append(ms, g.validMembers(rng, g.props, 1)...)
	}
	rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	c.Steps = []genStep{patch(ms...)}
	c.Steps[0].Space = rng.IntN(2) == 0
}

func (g *generator) trickyStrings(rng *rand.Rand, c *genCase) {
	ms := g.randomMembers(rng, g.props, 1+rng.IntN(4), func(name string) string {
		if len(g.prop(name).Enum) > 0 && rng.IntN(2) == 0 {
			return validValue(rng, g.prop(name))
		}
		return pick(rng, trickyStringValues)
	})
	c.Steps = []genStep{patch(ms...)}
}

// settable are the properties some branch declares that the provider stores.
func (g *generator) settable(provider string) []string {
	p := g.doc.Provider(provider)
	var out []string
	for _, name := range g.props {
		if p.Index(name) >= 0 {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return g.props
	}
	return out
}

func (g *generator) setClear(rng *rand.Rand, c *genCase) {
	names := g.settable(c.Provider)
	ms := g.randomMembers(rng, names, 1+rng.IntN(len(names)), func(name string) string {
		if rng.IntN(3) == 0 {
			return "null"
		}
		return validValue(rng, g.prop(name))
	})
	c.Steps = []genStep{patch(ms...)}
}

func (g *generator) unknownKeys(rng *rand.Rand, c *genCase) {
	ms := g.randomMembers(rng, g.unknown, 1+rng.IntN(3), func(string) string {
		if rng.IntN(2) == 0 {
			return pick(rng, anyValues)
		}
		return pick(rng, plainStrings)
	})
	ms = append(ms, g.validMembers(rng, g.props, rng.IntN(3))...)
	rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	c.Steps = []genStep{patch(ms...)}
}

func (g *generator) duplicates(rng *rand.Rand, c *genCase) {
	ms := g.validMembers(rng, g.props, 1+rng.IntN(3))
	dup := ms[rng.IntN(len(ms))]
	for range 1 + rng.IntN(2) {
		v := validValue(rng, g.prop(dup.Key[1:len(dup.Key)-1]))
		if rng.IntN(3) == 0 {
			v = pick(rng, anyValues)
		}
		ms = append(ms, member{dup.Key, v})
	}
	if rng.IntN(2) == 0 { // the valid value last, or first
		slices.Reverse(ms)
	}
	c.Steps = []genStep{patch(ms...)}
}

func (g *generator) nonObject(rng *rand.Rand, c *genCase) {
	c.Steps = []genStep{rawPatch(nth(c, []string{
		"[]", "[1]", `[{"friendly_name":"x"}]`, `"x"`, `"{}"`, "0", "-1.5", "true", "false", "[[[]]]", `""`, "1e400", "NaN", " [ ] ",
	}))}
}

func (g *generator) empty(rng *rand.Rand, c *genCase) {
	c.Steps = []genStep{rawPatch(nth(c, []string{"", " ", "\n", " \t\r\n ", "null", " null ", "null\n"}))}
}

// validText is the text of a valid object body.
func (g *generator) validText(rng *rand.Rand) genStep {
	s := patch(g.validMembers(rng, g.props, 1+rng.IntN(3))...)
	s.Space = rng.IntN(2) == 0
	return s
}

func (g *generator) truncated(rng *rand.Rand, c *genCase) {
	t := g.validText(rng).text()
	r := []rune(t)
	c.Steps = []genStep{rawPatch(string(r[:1+rng.IntN(len(r)-1)]))}
}

func (g *generator) badEscape(rng *rand.Rand, c *genCase) {
	bad := nth(c, []string{`\x41`, `\u12`, `\uZZZZ`, `\U0041`, `\a`, `\'`, `\u00`, `\`})
	name := pick(rng, g.props)
	c.Steps = []genStep{rawPatch(fmt.Sprintf(`{%s:"ab%scd"}`, key(name), bad))}
	if bad == `\` {
		c.Steps[0].Raw = fmt.Sprintf(`{%s:"ab\`, key(name))
	}
}

func (g *generator) controlChars(rng *rand.Rand, c *genCase) {
	ch := string(rune(pick(rng, []int{0, 1, 8, 9, 10, 13, 0x1b, 0x1f})))
	name := pick(rng, g.props)
	if rng.IntN(3) == 0 { // outside a string: a control character that is not JSON whitespace
		c.Steps = []genStep{rawPatch(fmt.Sprintf(`{%s:%s"x"}`, key(name), pick(rng, []string{"\x00", "\x0b", "\x0c", "\x1f"})))}
		return
	}
	c.Steps = []genStep{rawPatch(fmt.Sprintf(`{%s:"a%sb"}`, key(name), ch))}
}

func (g *generator) malformed(rng *rand.Rand, c *genCase) {
	k := key(pick(rng, g.props))
	c.Steps = []genStep{rawPatch(nth(c, []string{
		`{` + k + `:"x",}`, `{'friendly_name':'x'}`, `{friendly_name:"x"}`, `{` + k + ` "x"}`, `{` + k + `:"x"} {}`,
		`{}x`, `{} // comment`, `[1,]`, `{` + k + `:01}`, `{` + k + `:+1}`, `{` + k + `:.5}`, `{` + k + `:1.}`,
		`{` + k + `:-}`, `{` + k + `:tru}`, `{` + k + `:nul}`, `{` + k + `:Nan}`, `{` + k + `:infinity}`, `{,}`,
		`{` + k + `:"x" ` + k + `:"y"}`, `{"a":1 "b":2}`, `{` + k + `:[}`, `{` + k + `:{}`, `}`, `{{}}`, `{1:2}`,
	}))}
}

func (g *generator) encoded(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	if rng.IntN(2) == 0 { // non-ASCII and non-BMP text, which the encodings change most
		s.Members = append(s.Members, member{key(pick(rng, g.props)), pick(rng, []string{`"été 😀"`, `"日本"`, `"\ud83d\ude00"`})})
	}
	s.Encoding = nth(c, encodings)
	c.Steps = []genStep{s}
}

func (g *generator) notUTF8(rng *rand.Rand, c *genCase) {
	bad := nth(c, []string{"\xff", "\xc3\x28", "\xe9t\xe9", "\x80", "\xf8\x88\x80\x80\x80", "\xc0\xaf"})
	c.Steps = []genStep{rawPatch(fmt.Sprintf(`{%s:"%s"}`, key(pick(rng, g.props)), bad))}
}

// contentTypes are what FastAPI reads as JSON (application/json and
// application/*+json, parameters allowed) and what it reads as a string.
// "" sends none. The most telling come first: a short run takes them in turn.
var contentTypes = []string{
	"application/json; charset=utf-8", "application/merge-patch+json", "", "text/plain", "Application/JSON",
	"application/vnd.verbex+json; charset=utf-8", "application/x-www-form-urlencoded", "application/json;charset=UTF-8",
	"text/json", "application/problem+json", "application/octet-stream", "APPLICATION/JSON; Charset=utf-8",
	"application/jsonl", "text/plain; charset=utf-8", "application/json-patch+json", "application/json5",
}

func (g *generator) contentType(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	if rng.IntN(4) == 0 {
		s = patch(g.randomMembers(rng, g.props, 1, func(string) string { return pick(rng, anyValues) })...)
	}
	if ct := nth(c, contentTypes); ct == "" {
		s.ContentType = nil
	} else {
		s.ContentType = &ct
	}
	c.Steps = []genStep{s}
}

func (g *generator) method(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	s.Method = nth(c, []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodPost, http.MethodDelete, http.MethodOptions})
	switch rng.IntN(4) {
	case 0:
		s.Object, s.Raw, s.ContentType = false, "", nil
	case 1:
		s.Path = "/v1/phone-numbers/{unknown}"
	}
	c.Steps = []genStep{s}
}

func (g *generator) path(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	s.Path = nth(c, []string{
		"/v1/phone-numbers/{id}/", "/v1/phone-numbers/{ID}", "/v1/phone-numbers", "/v1/phone-number/{id}",
		"/v1/phone-numbers/{id}/x", "/v1/phone-numbers/{id}/x/", "/v2/phone-numbers/{id}", "/V1/phone-numbers/{id}",
		"/v1/Phone-Numbers/{id}", "/", "/v1/phone-numbers/{unknown}/",
	})
	c.Steps = []genStep{s}
}

func (g *generator) unknownIDCase(rng *rand.Rand, c *genCase) {
	var s genStep
	switch rng.IntN(3) {
	case 0:
		s = g.validText(rng)
	case 1:
		s = patch(g.randomMembers(rng, g.props, 1+rng.IntN(2), func(string) string { return pick(rng, anyValues) })...)
	default:
		s = rawPatch(pick(rng, []string{"", "[1]", `{"a":`, "null", `"x"`}))
	}
	s.Path = "/v1/phone-numbers/{unknown}"
	c.Steps = []genStep{s}
}

func (g *generator) sequence(rng *rand.Rand, c *genCase) {
	names := g.settable(c.Provider)
	n := 2 + rng.IntN(4)
	for range n {
		switch rng.IntN(5) {
		case 0: // read
			c.Steps = append(c.Steps, patch())
		case 1: // clear
			c.Steps = append(c.Steps, patch(g.randomMembers(rng, names, 1+rng.IntN(2), func(string) string { return "null" })...))
		case 2: // an invalid update that must change nothing
			c.Steps = append(c.Steps, patch(g.randomMembers(rng, g.common, 1, func(string) string { return pick(rng, []string{"1", "true", "[]", "1.0"}) })...))
		default: // update
			c.Steps = append(c.Steps, patch(g.validMembers(rng, names, 1+rng.IntN(len(names)))...))
		}
	}
}
