package mock

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// DefaultSeed is the gofakeit seed used when none is given (gofakeit treats 0 as
// "random", which would make generated numbers differ between runs).
const DefaultSeed = 20260226

// generator makes the values of generated numbers: realistic ones for the fields the
// seed's document names (kept while they fit the field's schema), and for any other
// field a value made from its schema (type, enum/const, length bounds, pattern,
// numeric bounds and multipleOf, array items and length, nested properties), so that
// a provider the fake has never seen gets valid numbers too.
type generator struct {
	f *gofakeit.Faker
}

func (g *generator) hex(nBytes int) string {
	var b strings.Builder
	for b.Len() < 2*nBytes {
		fmt.Fprintf(&b, "%016x", g.f.Uint64())
	}
	return b.String()[:2*nBytes]
}

func (g *generator) maybe(s string) pyjson.Value {
	if g.f.Bool() {
		return pyjson.StringValue(s)
	}
	return pyjson.NullValue()
}

// named is the realistic value of a field the seed's document has, or false.
func (g *generator) named(name string) (pyjson.Value, bool) {
	switch name {
	case "friendly_name":
		return g.maybe(g.f.Company() + " " + g.f.RandomString([]string{"support", "sales", "front desk", "after hours", "bookings"})), true
	case "inbound_agent_id", "outbound_agent_id":
		return g.maybe(g.hex(12)), true
	case "sip_termination_uri":
		return g.maybe("sip:" + strings.ToLower(g.f.Username()) + "@" + g.f.DomainName()), true
	case "sip_trunk_username":
		return g.maybe(strings.ToLower(g.f.Username())), true
	case "sip_trunk_password", "twilio_auth_token":
		return g.maybe(g.hex(16)), true
	case "twilio_account_sid":
		return g.maybe("AC" + g.hex(16)), true
	}
	return pyjson.Value{}, false
}

// field makes a value of f that f.Check accepts: the realistic one if the field is
// named and it fits (a string cut to the field's length bounds), else one from the
// schema, tried a few times (a pattern's generated text may miss a length bound);
// null if the field takes null and nothing else fitted.
func (g *generator) field(f *spec.Field) (pyjson.Value, error) {
	if v, ok := g.named(f.Name); ok {
		if v.Kind == pyjson.String {
			v.Str = fitLength(v.Str, f.Bounds(), "x")
		}
		if f.Check(v) == nil {
			return v, nil
		}
	}
	var err error
	for try := 0; try < 8; try++ {
		v := g.value(f, 0)
		if err = f.Check(v); err == nil {
			return v, nil
		}
	}
	if null := pyjson.NullValue(); f.Check(null) == nil {
		return null, nil
	}
	return pyjson.Value{}, fmt.Errorf("no value generated for field %q fits its schema: %w", f.Name, err)
}

// value makes a value from f's schema alone.
func (g *generator) value(f *spec.Field, depth int) pyjson.Value {
	nullable := len(f.Kinds) == 0 || slices.Contains(f.Kinds, pyjson.Null)
	if len(f.Values) > 0 {
		// An enum or const: one of its values (a nullable one is null now and then).
		if nullable && g.f.IntRange(0, 3) == 0 {
			return pyjson.NullValue()
		}
		return f.Values[g.f.IntRange(0, len(f.Values)-1)].Clone()
	}
	var kinds []pyjson.Kind
	for _, k := range f.Kinds {
		if k != pyjson.Null {
			kinds = append(kinds, k)
		}
	}
	switch {
	case len(f.Kinds) == 0:
		kinds = []pyjson.Kind{pyjson.String}
	case len(kinds) == 0:
		return pyjson.NullValue()
	case nullable && g.f.IntRange(0, 3) == 0:
		return pyjson.NullValue()
	}
	b := f.Bounds()
	switch k := kinds[g.f.IntRange(0, len(kinds)-1)]; k {
	case pyjson.Bool:
		return pyjson.BoolValue(g.f.Bool())
	case pyjson.Number:
		return pyjson.NumberValue(g.number(b, f.Integer))
	case pyjson.Array:
		lo, hi := int64(1), int64(3)
		if b.MinItems != nil {
			lo = *b.MinItems
		}
		if b.MaxItems != nil {
			hi = *b.MaxItems
		}
		hi = min(max(hi, lo), lo+5)
		items := make([]pyjson.Value, g.f.IntRange(int(lo), int(hi)))
		for i := range items {
			if f.Items != nil && depth < 8 {
				items[i] = g.value(f.Items, depth+1)
			} else {
				items[i] = pyjson.StringValue(g.f.Word())
			}
		}
		return pyjson.ArrayValue(items)
	case pyjson.Object:
		obj := pyjson.ObjectValue(nil)
		for i := range f.Props {
			if depth < 8 {
				obj.Set(f.Props[i].Name, g.value(&f.Props[i], depth+1))
			}
		}
		return obj
	default:
		return pyjson.StringValue(g.text(b))
	}
}

// text makes a string within the bounds: from the pattern when there is one (as
// written, whose \d Go reads as ASCII digits; with Rust's Unicode classes spelled
// out if that text does not match), else a word or two.
func (g *generator) text(b spec.Bounds) string {
	if b.Pattern != "" {
		s := g.f.Regex(b.PatternSource)
		if re, err := regexp.Compile(b.Pattern); err == nil && !re.MatchString(s) {
			s = g.f.Regex(b.Pattern)
		}
		return s
	}
	s := strings.ToLower(g.f.Word())
	if g.f.Bool() {
		s += "-" + strings.ToLower(g.f.Word())
	}
	return fitLength(s, b, string(rune('a'+g.f.IntRange(0, 25))))
}

// fitLength cuts s to the bounds' maximum and pads it with pad to their minimum, in
// code points as pydantic counts them.
func fitLength(s string, b spec.Bounds, pad string) string {
	if b.MaxLength != nil && int64(pyjson.RuneCount(s)) > *b.MaxLength {
		r := []rune(s)
		s = strings.TrimRight(string(r[:*b.MaxLength]), " ")
	}
	for b.MinLength != nil && int64(pyjson.RuneCount(s)) < *b.MinLength {
		s += pad
	}
	return s
}

// number makes a number within the bounds, a multiple of multipleOf when given, as
// Python prints it (an integer field's as an integer, a float field's as a float).
func (g *generator) number(b spec.Bounds, integer bool) string {
	lo, hi := 0.0, 1000.0
	switch {
	case b.Minimum != nil && b.Maximum != nil:
		lo, hi = *b.Minimum, *b.Maximum
	case b.Minimum != nil:
		lo, hi = *b.Minimum, *b.Minimum+1000
	case b.Maximum != nil:
		lo, hi = math.Min(0, *b.Maximum-1000), *b.Maximum
	}
	step := 0.01
	if integer {
		step = 1
	}
	if b.MultipleOf != nil && *b.MultipleOf > 0 {
		step = *b.MultipleOf
		if integer {
			step = math.Max(1, math.Round(step))
		}
	}
	kLo, kHi := math.Ceil(lo/step), math.Floor(hi/step)
	if b.ExclusiveMinimum && kLo*step <= lo {
		kLo++
	}
	if b.ExclusiveMaximum && kHi*step >= hi {
		kHi--
	}
	k := kLo
	if kHi > kLo && kHi-kLo < 1<<30 {
		k = kLo + float64(g.f.IntRange(0, int(kHi-kLo)))
	}
	v := k * step
	if integer {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	// Round away the binary noise of k*step (0.1*3), as a person would write it.
	if r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64); err == nil {
		v = r
	}
	return pyjson.FloatRepr(v)
}

// generate makes n phone numbers from seed, cycling through the providers, with ids
// that do not collide with taken. The same seed gives the same numbers on every run.
func generate(doc *spec.Document, n int, seed uint64, taken func(id string) bool) ([]*record, error) {
	return generateFor(doc, doc.Providers, n, seed, taken)
}

// generateFor is generate for the given providers.
func generateFor(doc *spec.Document, providers []*spec.Provider, n int, seed uint64, taken func(id string) bool) ([]*record, error) {
	if seed == 0 {
		seed = DefaultSeed
	}
	g := &generator{f: gofakeit.New(seed)}
	countries := []string{"+1##########", "+44##########", "+49##########", "+61#########", "+880##########"}
	out := make([]*record, 0, n)
	made := make(map[string]bool, n)
	for i := 0; i < n && len(providers) > 0; i++ {
		p := providers[i%len(providers)]
		id := g.hex(12)
		for taken(id) || made[id] {
			id = g.hex(12)
		}
		made[id] = true
		number := g.f.Numerify(countries[g.f.IntRange(0, len(countries)-1)])
		number = "+" + strings.TrimLeft(number[1:], "0")
		obj := pyjson.ObjectValue(nil)
		for j := range p.Fields {
			field := &p.Fields[j]
			var v pyjson.Value
			switch field.Name {
			case spec.IDField:
				v = pyjson.StringValue(id)
			case spec.ProviderField:
				v = pyjson.StringValue(p.Name)
			case spec.NumberField:
				v = pyjson.StringValue(number)
			default:
				var err error
				if v, err = g.field(field); err != nil {
					return nil, fmt.Errorf("mock: generated %s number %d: %w", p.Name, i+1, err)
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

// fillProviders makes one number for each provider the seeded numbers have none of
// (a branch added to the document, fixtures written before it), so that every
// provider has a number a tool can name (contract run --id PROVIDER=ID). An empty
// fixtures list asks for an empty store, as the contract runner's oracle does, and
// gets one.
func fillProviders(doc *spec.Document, seeded []*record, seed uint64, taken func(string) bool) ([]*record, error) {
	if len(seeded) == 0 {
		return nil, nil
	}
	var missing []*spec.Provider
	for _, p := range doc.Providers {
		if !slices.ContainsFunc(seeded, func(r *record) bool { return r.provider == p }) {
			missing = append(missing, p)
		}
	}
	if seed == 0 {
		seed = DefaultSeed
	}
	// Another stream than --generate's, so that adding a provider to the fixtures
	// leaves the generated numbers as they were.
	return generateFor(doc, missing, len(missing), seed^0x66696c6c, taken)
}

// generateOne makes one number of provider p. generate cycles through the providers,
// so generating up to one number per provider from the same seed and keeping p's
// reuses its realistic values.
func generateOne(doc *spec.Document, p *spec.Provider, seed uint64, taken func(string) bool) (*record, error) {
	recs, err := generate(doc, len(doc.Providers), seed, taken)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.provider == p {
			return r, nil
		}
	}
	return nil, fmt.Errorf("mock: no generator for provider %q", p.Name)
}
