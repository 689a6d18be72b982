package judge

import (
	"fmt"
	"net/http"
	"strings"

	matchers "github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// CheckRecord checks a 200 reply that must be a whole record of the number id; the
// problem is "" when it is one.
func (j *Judge) CheckRecord(a Reply, id string) (pyjson.Value, string) {
	path := NumberPrefix + id
	if probs := j.Doc.CheckResponse(http.MethodPatch, path, a.Status, a.Header, a.Body); len(probs) > 0 {
		return pyjson.Value{}, probs[0].String()
	}
	rec, err := pyjson.Decode(a.Body)
	if err != nil || rec.Kind != pyjson.Object {
		return pyjson.Value{}, "the body is not a JSON object"
	}
	prov, _ := rec.Get(spec.ProviderField)
	p := j.Doc.Provider(prov.Str)
	if p == nil {
		return rec, fmt.Sprintf("provider %s is not one of the document's (%s)", matchers.Text(prov), strings.Join(j.Doc.ProviderNames(), ", "))
	}
	if _, err := p.Record(rec); err != nil {
		return rec, fmt.Sprintf("not a %s record: %v", p.Title, err)
	}
	if got, _ := rec.Get(spec.IDField); got.Str != id {
		return rec, fmt.Sprintf("_id is %s, not the id read (%q)", matchers.Text(got), id)
	}
	return rec, ""
}
