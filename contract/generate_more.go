package contract

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// The kinds of case a client meets past the union: ids and paths, queries, odd and
// long strings, nesting, charsets, response-only keys, sequences and body sizes.

// idForms are the number's id as a client might mangle it: encoded once (the same
// id after the server decodes it), encoded twice, with a matrix parameter, a format
// suffix, padding, an encoded slash, or cut short. Only the first is the number.
func (g *generator) idForms(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	s.Path = "/v1/phone-numbers/" + nth(c, []string{
		"{id%}", "{id%25}", "{id};v=1", "{id}.json", "{id}%20", "{id}%2Fx", "{prefix}", "{id}%2F", "%20{id}",
	})
	c.Steps = []genStep{s}
}

// query puts a query string on the PATCH, its keys named like body fields too: the
// operation reads no query parameter, so nothing changes.
func (g *generator) query(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	names := g.settable(c.Provider)
	q := nth(c, []string{
		url.QueryEscape(pick(rng, names)) + "=from-query", "x=1", spec.ProviderField + "=" + pick(rng, g.providers),
		url.QueryEscape(pick(rng, names)) + "=&" + url.QueryEscape(pick(rng, names)) + "=q", "_method=DELETE", "a=%E9",
	})
	s.Path += "?" + q
	c.Steps = []genStep{s}
}

// oddStrings are values a lax model or a store changes: a one-element list where a
// string belongs (on a property every branch declares: a 422), other Unicode
// normalisation forms, padding, NUL and other control characters (on a field the
// number stores: a 200 that must keep them as sent).
func (g *generator) oddStrings(rng *rand.Rand, c *genCase) {
	v := nth(c, []string{`["x"]`, `"e\u0301t\u00e9"`, `"\u212b \u2126"`, `"  padded  "`, `"a\u0000b"`,
		`"\u001f\u007f\u0085"`, `"\ufb01 A\u030a"`, `"\tx\n"`, `["\u00e9"]`})
	name := pick(rng, g.common)
	if !strings.HasPrefix(v, "[") {
		name = pick(rng, g.plainSettable(c.Provider))
	}
	ms := []member{{key(name), v}}
	if rng.IntN(2) == 0 {
		ms = append(ms, g.validMembers(rng, g.settable(c.Provider), 1)...)
	}
	c.Steps = []genStep{patch(ms...)}
}

// plainSettable are the settable fields that take any string (no enum).
func (g *generator) plainSettable(provider string) []string {
	var out []string
	for _, name := range g.settable(provider) {
		if len(g.prop(name).Enum) == 0 {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return g.settable(provider)
	}
	return out
}

// longStrings set a field to 1k–100k characters, ASCII or not.
func (g *generator) longStrings(rng *rand.Rand, c *genCase) {
	n := nth(c, []int{1001, 100_000, 256, 4096, 65_537, 1000, 10_000})
	ch := pick(rng, []string{"x", "\u00e9", "😀"})
	c.Steps = []genStep{patch(member{key(pick(rng, g.plainSettable(c.Provider))), `"` + strings.Repeat(ch, n) + `"`})}
}

// nesting sweeps the depth of a value under a key no branch declares (ignored when
// it decodes, never echoed) to and past the interpreter's limit. Near the limit the
// depth depends on the service's stack (docs/fidelity.md), so a difference there is
// a note.
func (g *generator) nesting(rng *rand.Rand, c *genCase) {
	d := nth(c, []int{129, 1100, 64, 900, pyjson.MaxDepth, 3000, 513, pyjson.MaxDepth + 1})
	s := g.validText(rng)
	open, closing := "[", "]"
	if rng.IntN(2) == 0 {
		open, closing = `{"a":`, "}"
	}
	s.Members = append(s.Members, member{key(pick(rng, g.unknown)), strings.Repeat(open, d-1) + "0" + strings.Repeat(closing, d-1)})
	if d >= pyjson.MaxDepth-16 && d <= pyjson.MaxDepth+16 {
		s.Limit = "the nesting limit depends on the service's interpreter and stack; the fake decodes " + fmt.Sprint(pyjson.MaxDepth) + " levels (docs/fidelity.md)"
	}
	c.Steps = []genStep{s}
}

// charsets send a charset other than UTF-8 with non-ASCII text in it (the service
// decodes JSON by its bytes, not the parameter), and bytes that are not UTF-8 under
// types that are not JSON.
func (g *generator) charsets(rng *rand.Rand, c *genCase) {
	k := key(pick(rng, g.plainSettable(c.Provider)))
	latin := "{" + k + ":\"\xe9t\xe9\"}"
	pair := nth(c, [][2]string{
		{"application/json; charset=iso-8859-1", latin}, {"text/plain", "{" + k + ":\"\xff\"}"},
		{"application/json; charset=latin-1", latin}, {"application/octet-stream", "\xff\xfe\x00"},
		{"application/json; charset=windows-1252", "{" + k + ":\"caf\xe9 \x93x\x94\"}"}, {"text/plain; charset=iso-8859-1", latin},
		{"application/json; charset=utf-16", "{" + k + ":\"\u00e9t\u00e9\"}"}, {"application/x-www-form-urlencoded", k[1:len(k)-1] + "=\xe9"},
	})
	s := rawPatch(pair[1])
	s.ContentType = &pair[0]
	c.Steps = []genStep{s}
}

// responseOnly sends the names of record fields no branch declares (_id, provider,
// phone_number, …) with string values beside a valid field: they must be ignored.
func (g *generator) responseOnly(rng *rand.Rand, c *genCase) {
	var names []string
	for _, p := range g.doc.Providers {
		for _, f := range p.Fields {
			if !slices.Contains(g.props, f.Name) && !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
	}
	if len(names) == 0 {
		names = []string{"extra"}
	}
	name := nth(c, names)
	v := pick(rng, g.providers)
	if name != spec.ProviderField {
		v = pick(rng, []string{"+14155550000", "x", "6650a1f2c3d4e5f6a7b8c9ff"})
	}
	ms := append(g.validMembers(rng, g.settable(c.Provider), 1), member{key(name), str(v)})
	rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	c.Steps = []genStep{patch(ms...)}
}

// invalidWithValid is a body every branch refuses (a bad value on a property every
// branch declares) that also holds valid fields: the 422 must store none of them,
// which the read after the case shows.
func (g *generator) invalidWithValid(rng *rand.Rand, c *genCase) {
	bad := pick(rng, g.common)
	var others []string
	for _, n := range g.plainSettable(c.Provider) {
		if n != bad {
			others = append(others, n)
		}
	}
	if len(others) == 0 {
		others = g.settable(c.Provider)
	}
	ms := g.randomMembers(rng, others, 1+rng.IntN(2), func(string) string { return pick(rng, []string{`"partial"`, `"x"`}) })
	ms = append(ms, member{key(bad), pick(rng, []string{"1", "true", "[]", "{}", "1.5"})})
	rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	c.Steps = []genStep{patch(ms...)}
}

// unknownTwice updates the same unknown id twice: an upsert shows on the second.
func (g *generator) unknownTwice(rng *rand.Rand, c *genCase) {
	s := g.validText(rng)
	s.Path = "/v1/phone-numbers/{unknown}"
	c.Steps = []genStep{s, s}
}

// bodySize sweeps the body's size up to what the fake accepts (1 MiB by default),
// the bulk in a key no branch declares. A 413 from the target only is a limit of its
// deployment the fake cannot know: a note.
func (g *generator) bodySize(rng *rand.Rand, c *genCase) {
	n := nth(c, []int{70_000, 1_000_000, 16_384, 300_000})
	s := g.validText(rng)
	s.Members = append(s.Members, member{key("padding"), `"` + strings.Repeat("p", n) + `"`})
	s.Limit = fmt.Sprintf("a body of %d bytes: the fake accepts up to 1 MiB; a smaller limit is the deployment's, which the fake cannot know", len(s.text()))
	c.Steps = []genStep{s}
}
