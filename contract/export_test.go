package contract

import (
	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/spec"
)

// GenRequest is one generated request, resolved for a number.
type GenRequest struct {
	Category    string
	Method      string
	Path        string
	ContentType *string
	Body        []byte
}

// GeneratedRequests exposes the contract generator to the proxy's tests: the steps
// of cases 0..n-1 of seed, each on the number ids[provider] of its case.
func GeneratedRequests(seed uint64, n int, ids map[string]string) []GenRequest {
	doc, err := spec.Load(fixtures.OpenAPI())
	if err != nil {
		panic(err)
	}
	var providers []string
	for _, p := range doc.ProviderNames() {
		if ids[p] != "" {
			providers = append(providers, p)
		}
	}
	g := newGenerator(doc, providers)
	var out []GenRequest
	for i := range n {
		c := g.caseAt(seed, i)
		for _, s := range c.Steps {
			w := s.wire(ids[c.Provider], unknownID(seed, i))
			out = append(out, GenRequest{Category: c.Category, Method: w.Method, Path: w.Path, ContentType: w.ContentType, Body: w.Body})
		}
	}
	return out
}

// SkipReasons are the skip reasons the dry run and the run share, one of each.
func SkipReasons() []string {
	return []string{skipOverBudget, skipNoStatesRoute("a number exists"), skipNoNumber("a SIP number exists", "vonage"), skipTwoNumbers("sip")}
}
