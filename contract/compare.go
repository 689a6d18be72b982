package contract

import (
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// compareAnswers lists how the target's answer differs from the oracle's. Mismatch
// Expected is the fake's side, Got the target's. What the document leaves to the
// implementation is normalised unless strict (see the README, "Normalisations"):
//   - the error and message strings of a 404 or 500 ErrorResponse (only their
//     presence and type are compared): the codes and texts are the service's own;
//   - the scheme and host of a Location header: they come from the deployment
//     (proxies, TLS), not the framework;
//   - the order of an object's keys: JSON objects are unordered (RFC 8259).
//
// Headers compared: Content-Type (as a media type: case and parameter order do not
// matter), Allow (as a set) and Location. Bodies are compared as JSON values where
// both are JSON, byte for byte otherwise.
func compareAnswers(fake, target answer, strict bool) []Mismatch {
	var out []Mismatch
	if fake.Status != target.Status {
		out = append(out, Mismatch{Path: "status", Expected: strconv.Itoa(fake.Status), Got: strconv.Itoa(target.Status)})
	}
	if !sameMediaType(fake.Header.Get("Content-Type"), target.Header.Get("Content-Type")) {
		out = append(out, Mismatch{Path: "header Content-Type", Expected: quoteOrAbsent(fake.Header, "Content-Type"), Got: quoteOrAbsent(target.Header, "Content-Type")})
	}
	if !slices.Equal(methodSet(fake.Header.Values("Allow")), methodSet(target.Header.Values("Allow"))) {
		out = append(out, Mismatch{Path: "header Allow", Expected: quoteOrAbsent(fake.Header, "Allow"), Got: quoteOrAbsent(target.Header, "Allow")})
	}
	if fl, tl := fake.Header.Get("Location"), target.Header.Get("Location"); fl != tl && (strict || locationPath(fl) != locationPath(tl)) {
		out = append(out, Mismatch{Path: "header Location", Expected: quoteOrAbsent(fake.Header, "Location"), Got: quoteOrAbsent(target.Header, "Location")})
	}
	fv, ferr := pyjson.Decode(fake.Body)
	tv, terr := pyjson.Decode(target.Body)
	switch {
	case len(fake.Body) == 0 && len(target.Body) == 0:
	case ferr == nil && terr == nil:
		if !strict && fake.Status == target.Status && isErrorResponse(fv) && isErrorResponse(tv) && (fake.Status == http.StatusNotFound || fake.Status == http.StatusInternalServerError) {
			break
		}
		out = diffValues("$", fv, tv, strict, out)
	case string(fake.Body) != string(target.Body):
		out = append(out, Mismatch{Path: "body", Expected: bodyText(fake.Body), Got: bodyText(target.Body)})
	}
	return out
}

func quoteOrAbsent(h http.Header, name string) string {
	v := h.Values(name)
	if len(v) == 0 {
		return "absent"
	}
	return strconv.Quote(strings.Join(v, ", "))
}

func bodyText(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	return strconv.Quote(string(truncate(b)))
}

func sameMediaType(a, b string) bool {
	if a == b {
		return true
	}
	at, ap, aerr := mime.ParseMediaType(a)
	bt, bp, berr := mime.ParseMediaType(b)
	if aerr != nil || berr != nil {
		return false
	}
	return at == bt && maps.EqualFunc(ap, bp, strings.EqualFold)
}

func methodSet(values []string) []string {
	var out []string
	for _, v := range values {
		for _, m := range strings.Split(v, ",") {
			if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// locationPath is a Location without its scheme and host.
func locationPath(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	u.Scheme, u.Host, u.User = "", "", nil
	return u.String()
}

// isErrorResponse: an object of exactly two strings, error and message.
func isErrorResponse(v pyjson.Value) bool {
	if v.Kind != pyjson.Object || len(v.Obj) != 2 {
		return false
	}
	e, ok1 := v.Get("error")
	m, ok2 := v.Get("message")
	return ok1 && ok2 && e.Kind == pyjson.String && m.Kind == pyjson.String
}

// diffValues compares two JSON values; objects by key (in order too when strict),
// arrays element by element, scalars by kind and Python's text.
func diffValues(path string, want, got pyjson.Value, strict bool, out []Mismatch) []Mismatch {
	if want.Kind != got.Kind {
		return append(out, Mismatch{Path: path, Expected: redactValue(want), Got: redactValue(got)})
	}
	switch want.Kind {
	case pyjson.Object:
		for _, m := range want.Obj {
			g, ok := got.Get(m.Key)
			if !ok {
				out = append(out, Mismatch{Path: path + "." + m.Key, Expected: redactValue(pyjson.ObjectValue([]pyjson.Member{m})), Got: "absent"})
				continue
			}
			if protocol.SecretKey(m.Key) && m.Value.Kind == pyjson.String && g.Kind == pyjson.String {
				// Compared, never shown.
				if m.Value.Str != g.Str {
					out = append(out, Mismatch{Path: path + "." + m.Key, Expected: redacted, Got: redacted + " (another value)"})
				}
				continue
			}
			out = diffValues(path+"."+m.Key, m.Value, g, strict, out)
		}
		for _, m := range got.Obj {
			if _, ok := want.Get(m.Key); !ok {
				out = append(out, Mismatch{Path: path + "." + m.Key, Expected: "absent", Got: redactValue(pyjson.ObjectValue([]pyjson.Member{m}))})
			}
		}
		if strict && len(out) == 0 && !slices.Equal(keys(want), keys(got)) {
			out = append(out, Mismatch{Path: path + " (key order)", Expected: strings.Join(keys(want), ","), Got: strings.Join(keys(got), ",")})
		}
	case pyjson.Array:
		if len(want.Arr) != len(got.Arr) {
			return append(out, Mismatch{Path: path, Expected: fmt.Sprintf("%d elements %s", len(want.Arr), redactValue(want)), Got: fmt.Sprintf("%d elements %s", len(got.Arr), redactValue(got))})
		}
		for i := range want.Arr {
			out = diffValues(path+"["+strconv.Itoa(i)+"]", want.Arr[i], got.Arr[i], strict, out)
		}
	default:
		if !want.Equal(got) {
			out = append(out, Mismatch{Path: path, Expected: redactValue(want), Got: redactValue(got)})
		}
	}
	return out
}

func keys(v pyjson.Value) []string {
	out := make([]string, len(v.Obj))
	for i, m := range v.Obj {
		out[i] = m.Key
	}
	return out
}

// diagnose names the rule a failing step broke, from the (shrunk) request and the
// two answers: whatever is unusual about a minimal failing request is its cause.
func (r *runner) diagnose(c genCase, step int, w wireRequest, before pyjson.Value, fake, target answer) string {
	s := c.Steps[step]
	path, _, _ := strings.Cut(w.Path, "?")
	fv, _ := pyjson.Decode(fake.Body)
	tv, _ := pyjson.Decode(target.Body)
	starlette := func(a answer, v pyjson.Value) bool {
		_, detail := v.Get("detail")
		return a.Status == http.StatusMethodNotAllowed || a.Status == http.StatusTemporaryRedirect ||
			(a.Status == http.StatusNotFound && detail && v.Kind == pyjson.Object && len(v.Obj) == 1)
	}
	if !spec.IsOperation(w.Method, path) || starlette(fake, fv) || (starlette(target, tv) && target.Status != fake.Status) {
		return RuleRouting
	}
	if headersOnly(compareAnswers(fake, target, r.cfg.Strict)) {
		return RuleRendering
	}
	if strings.Contains(s.Path, "{unknown}") || strings.Contains(s.Path, "{ID}") || fake.Status == http.StatusNotFound || target.Status == http.StatusNotFound {
		if fake.Status == target.Status {
			return RuleErrors
		}
		if fake.Status == http.StatusUnprocessableEntity || fake.Status == http.StatusNotFound || target.Status == http.StatusNotFound {
			return RuleLookup
		}
	}
	if decodingCase(s, fake, fv, target, tv) {
		return RuleDecoding
	}
	if fake.Status == http.StatusInternalServerError {
		return RuleRendering
	}
	if fake.Status == http.StatusUnprocessableEntity {
		return RuleValidation
	}
	if fake.Status != http.StatusOK {
		return ruleOfCategory(c.Category)
	}
	if target.Status != http.StatusOK {
		if target.Status == http.StatusInternalServerError && tv.Kind != pyjson.Object {
			return RuleRendering
		}
		return RuleValidation
	}
	if len(compareAnswers(answer{Status: 200, Body: fake.Body}, answer{Status: 200, Body: target.Body}, false)) == 0 {
		return RuleRendering // headers or key order only
	}
	body, _ := pyjson.Decode(w.Body)
	return r.diagnoseUpdate(body, before, fv, tv)
}

func headersOnly(mm []Mismatch) bool {
	for _, m := range mm {
		if !strings.HasPrefix(m.Path, "header ") {
			return false
		}
	}
	return len(mm) > 0
}

// decodingCase: one side decoded the body otherwise than FastAPI would: an answer
// only decoding gives (400, json_invalid, missing), or a request that needs the
// decoding rules (a content type other than plain application/json, an encoding,
// bytes that are not UTF-8, a repeated key) answered with another status or another
// reading of the text. Two 422s listing the same kinds of error are validation.
func decodingCase(s genStep, fake answer, fv pyjson.Value, target answer, tv pyjson.Value) bool {
	ft, tt := detailTypes(fv), detailTypes(tv)
	decodingOnly := func(types []string) bool {
		return slices.Contains(types, "json_invalid") || slices.Contains(types, "missing")
	}
	if fake.Status == http.StatusBadRequest || decodingOnly(ft) || decodingOnly(tt) {
		return true
	}
	unusual := s.ContentType == nil || *s.ContentType != jsonCT || s.Encoding != "" || !utf8.Valid(s.body())
	var dups []string
	if s.Object {
		seen := map[string]bool{}
		for _, m := range s.Members {
			if seen[m.Key] {
				dups = append(dups, strings.Trim(m.Key, `"`))
			}
			seen[m.Key] = true
		}
	}
	switch {
	case !unusual && len(dups) == 0:
		return false
	case fake.Status != target.Status:
		return true
	case fake.Status == http.StatusUnprocessableEntity:
		// The text a non-JSON body was read as is echoed in every error's input.
		return slices.Contains(ft, "model_attributes_type") && !sameInputs(fv, tv)
	}
	// Two 200s: a repeated key read otherwise shows in that field.
	for _, m := range diffValues("$", fv, tv, false, nil) {
		for _, d := range dups {
			if strings.HasPrefix(m.Path, "$."+d) {
				return true
			}
		}
	}
	return false
}

func detailTypes(v pyjson.Value) []string {
	d, _ := v.Get("detail")
	var out []string
	for _, e := range d.Arr {
		if t, _ := e.Get("type"); !slices.Contains(out, t.Str) {
			out = append(out, t.Str)
		}
	}
	sort.Strings(out)
	return out
}

// sameInputs: the first error's input is the same on both sides.
func sameInputs(a, b pyjson.Value) bool {
	da, _ := a.Get("detail")
	db, _ := b.Get("detail")
	if len(da.Arr) == 0 || len(db.Arr) == 0 {
		return len(da.Arr) == len(db.Arr)
	}
	ia, _ := da.Arr[0].Get("input")
	ib, _ := db.Arr[0].Get("input")
	return ia.Equal(ib)
}

// diagnoseUpdate tells a wrong union pick from wrong update semantics: if applying
// another branch's fields (or all passing branches' fields) to the record as it was
// gives the target's answer, the pick is wrong.
func (r *runner) diagnoseUpdate(body, before, fake, target pyjson.Value) string {
	prov, _ := before.Get(spec.ProviderField)
	p := r.doc.Provider(prov.Str)
	if p == nil || body.Kind != pyjson.Object {
		return RuleUpdate
	}
	apply := func(branches ...*spec.Branch) pyjson.Value {
		rec := pyjson.ObjectValue(slices.Clone(before.Obj))
		for _, b := range branches {
			for _, bp := range b.Props {
				v, ok := body.Get(bp.Name)
				if !ok || p.Index(bp.Name) < 0 || bp.Name == spec.IDField || bp.Name == spec.ProviderField {
					continue
				}
				if v.Kind == pyjson.String || (v.Kind == pyjson.Null && bp.Nullable) {
					rec.Set(bp.Name, v)
				}
			}
		}
		return rec
	}
	var passing []*spec.Branch
	for _, b := range r.doc.Union.Branches {
		if (&spec.Union{Branches: []*spec.Branch{b}}).Validate(body).Branch != nil {
			passing = append(passing, b)
		}
	}
	equal := func(a, b pyjson.Value) bool { return len(diffValues("$", a, b, false, nil)) == 0 }
	picked := r.doc.Union.Validate(body).Branch
	right := apply(picked)
	// Another branch explains the answer only if it changes something, and
	// something else than the right pick: "nothing changed" has many causes.
	for _, b := range passing {
		if alt := apply(b); b != picked && !equal(alt, before) && !equal(alt, right) && equal(alt, target) {
			return RuleUnionPick
		}
	}
	if all := apply(passing...); len(passing) > 1 && !equal(all, right) && equal(all, target) {
		return RuleUnionPick
	}
	// The target kept or dropped a key the record does not have: its shape is wrong.
	for _, m := range target.Obj {
		if _, ok := fake.Get(m.Key); !ok && p.Index(m.Key) < 0 {
			if _, sent := body.Get(m.Key); sent && (picked == nil || !picked.Has(m.Key)) {
				return RuleUnionPick
			}
			if _, sent := body.Get(m.Key); sent {
				return RuleUpdate
			}
			return RuleRendering
		}
	}
	for _, m := range fake.Obj {
		if _, ok := target.Get(m.Key); !ok {
			return RuleRendering
		}
	}
	return RuleUpdate
}

// ruleOfCategory is the rule a category of cases is about, for failures the answers
// alone do not explain.
func ruleOfCategory(cat string) string {
	switch {
	case strings.HasPrefix(cat, "union"):
		return RuleUnionPick
	case strings.HasPrefix(cat, "json"), strings.HasPrefix(cat, "encoding"), strings.HasPrefix(cat, "body: empty"), cat == "content type", cat == "keys: duplicate":
		return RuleDecoding
	case cat == "method", cat == "path":
		return RuleRouting
	case strings.HasPrefix(cat, "lookup"):
		return RuleLookup
	case strings.HasPrefix(cat, "values"), strings.HasPrefix(cat, "keys"), strings.HasPrefix(cat, "body"):
		return RuleValidation
	}
	return RuleUpdate
}
