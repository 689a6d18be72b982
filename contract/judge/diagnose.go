package judge

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Judge holds what judging an exchange reads: the document, and whether what it
// leaves to the implementation is compared too.
type Judge struct {
	Doc    *spec.Document
	Strict bool
}

// Origin is what the judge reads of a request beyond its bytes: how it was made.
type Origin struct {
	// Category is the generator's category of the case ("method", "content type", …).
	Category string
	// Path is the path as a template: {unknown} is an id no number has, {ID} the id in
	// another case (a request seen by the proxy has its own path here).
	Path string
	// Encoding is how the body's text was turned into bytes ("": UTF-8).
	Encoding string
	// Duplicates are the keys the body's object repeats.
	Duplicates []string
}

// Diagnose names the rule a failing step broke, from the (shrunk) request and the
// two replies: whatever is unusual about a minimal failing request is its cause.
// before is the record the oracle held before the request.
func (j *Judge) Diagnose(o Origin, w Request, before pyjson.Value, fake, target Reply) string {
	path, query, _ := strings.Cut(w.Path, "?")
	fv, _ := pyjson.Decode(fake.Body)
	tv, _ := pyjson.Decode(target.Body)
	if transportHeaders(Compare(fake, target, j.Strict)) {
		// A coding or a length a client did not ask for breaks every answer alike.
		return RuleRendering
	}
	starlette := func(a Reply, v pyjson.Value) bool {
		_, detail := v.Get("detail")
		return a.Status == http.StatusMethodNotAllowed || a.Status == http.StatusTemporaryRedirect ||
			(a.Status == http.StatusNotFound && detail && v.Kind == pyjson.Object && len(v.Obj) == 1)
	}
	if !spec.IsOperation(w.Method, path) || starlette(fake, fv) || (starlette(target, tv) && target.Status != fake.Status) {
		return RuleRouting
	}
	if query != "" && spec.IsOperation(w.Method, path) {
		// The operation reads no query parameter: whatever differs, the query did it.
		return RuleRouting
	}
	if headersOnly(Compare(fake, target, j.Strict)) {
		return RuleRendering
	}
	if strings.Contains(o.Path, "{unknown}") || strings.Contains(o.Path, "{ID}") || fake.Status == http.StatusNotFound || target.Status == http.StatusNotFound {
		if fake.Status == target.Status {
			return RuleErrors
		}
		if fake.Status == http.StatusUnprocessableEntity || fake.Status == http.StatusNotFound || target.Status == http.StatusNotFound {
			return RuleLookup
		}
	}
	if fake.Status == http.StatusOK && target.Status >= http.StatusInternalServerError {
		// A request the service accepts, failed by the target: its error path, not the
		// validation or decoding the request happened to exercise.
		return RuleErrors
	}
	if decodingCase(o, w, fake, fv, target, tv) {
		return RuleDecoding
	}
	if fake.Status == http.StatusInternalServerError {
		return RuleRendering
	}
	if fake.Status == http.StatusUnprocessableEntity {
		return RuleValidation
	}
	if fake.Status != http.StatusOK {
		return ruleOfCategory(o.Category)
	}
	if target.Status != http.StatusOK {
		return RuleValidation
	}
	if len(Compare(Reply{Status: 200, Body: fake.Body}, Reply{Status: 200, Body: target.Body}, false)) == 0 {
		return RuleRendering // headers or key order only
	}
	body, _ := pyjson.Decode(w.Body)
	return j.diagnoseUpdate(body, before, fv, tv)
}

// transportHeaders: the answer's coding or length is wrong, whatever else is.
func transportHeaders(mm []Mismatch) bool {
	for _, m := range mm {
		if m.Path == "header Content-Encoding" || m.Path == "header Content-Length" {
			return true
		}
	}
	return false
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
func decodingCase(o Origin, w Request, fake Reply, fv pyjson.Value, target Reply, tv pyjson.Value) bool {
	ft, tt := detailTypes(fv), detailTypes(tv)
	decodingOnly := func(types []string) bool {
		return slices.Contains(types, "json_invalid") || slices.Contains(types, "missing")
	}
	if fake.Status == http.StatusBadRequest || decodingOnly(ft) || decodingOnly(tt) {
		return true
	}
	if d, _ := tv.Get("detail"); target.Status == http.StatusBadRequest && d.Kind == pyjson.String {
		return true // the target could not parse what the fake did (a nesting limit, a charset)
	}
	if fake.Status == http.StatusInternalServerError && fv.Kind != pyjson.Object && target.Status == http.StatusOK {
		return false // the text was read alike; its echo cannot be encoded: rendering
	}
	unusual := w.ContentType == nil || *w.ContentType != JSONType || o.Encoding != "" || !utf8.Valid(w.Body)
	dups := o.Duplicates
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
func (j *Judge) diagnoseUpdate(body, before, fake, target pyjson.Value) string {
	prov, _ := before.Get(spec.ProviderField)
	p := j.Doc.Provider(prov.Str)
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
	for _, b := range j.Doc.Union.Branches {
		if (&spec.Union{Branches: []*spec.Branch{b}}).Validate(body).Branch != nil {
			passing = append(passing, b)
		}
	}
	equal := func(a, b pyjson.Value) bool { return len(diffValues("$", a, b, false, nil)) == 0 }
	picked := j.Doc.Union.Validate(body).Branch
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
	case cat == "method", strings.HasPrefix(cat, "path"), cat == "query":
		return RuleRouting
	case strings.HasPrefix(cat, "transport"):
		return RuleRendering
	case strings.HasPrefix(cat, "lookup"):
		return RuleLookup
	case strings.HasPrefix(cat, "values"), strings.HasPrefix(cat, "keys"), strings.HasPrefix(cat, "body"):
		return RuleValidation
	}
	return RuleUpdate
}
