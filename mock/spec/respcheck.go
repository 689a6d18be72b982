package spec

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// ErrNeedsFullCheck is a document that uses a keyword the compiled request validator
// does not implement, loaded without package fullcheck, which would decide it.
var ErrNeedsFullCheck = errors.New(`spec: the document needs libopenapi-validator (import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck")`)

// responseSchema is one documented response, compiled for checkCompiled.
type responseSchema struct {
	types []string // declared media types
	field *Field   // the application/json schema; nil for the 200 (Providers) or none
}

// compileResponseSchemas compiles every documented response's JSON schema with the
// record checks. Its own compiler: keywords the checks ignore are not warnings of the
// document, which names what serving does not implement.
func compileResponseSchemas(op *seam.Operation) map[int]*responseSchema {
	out := map[int]*responseSchema{}
	var c compiler
	for _, resp := range op.Responses {
		code := resp.Code
		n, err := strconv.Atoi(code)
		if err != nil || resp.Missing {
			continue
		}
		rs := &responseSchema{}
		if resp.Content != nil {
			for _, media := range resp.Content {
				mt := media.Type
				rs.types = append(rs.types, mt)
				if n != http.StatusOK && isJSON(mt) && media.Schema != nil {
					f := c.field(media.Schema, operationPointer+"/responses/"+code, 0)
					rs.field = &f
				}
			}
		}
		out[n] = rs
	}
	return out
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// checkCompiled is CheckResponse without libopenapi-validator: the content type must
// be declared, and a JSON body must pass the record checks of its schema (the 200:
// one provider's). The status is documented and the body non-empty (checked by the
// caller). It covers types, enum/const, items, properties/required and the
// constraint keywords; TestCompiledResponseChecksAgree compares it with the library.
func (d *Document) checkCompiled(status int, header http.Header, body []byte) []Problem {
	rs := d.responses[status]
	if rs == nil || len(rs.types) == 0 {
		return nil
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !slices.Contains(rs.types, mt) {
		return []Problem{{Kind: "content_type_conformance", Message: fmt.Sprintf("content type %q is not one the document declares for status %d (%s)", ct, status, strings.Join(rs.types, ", "))}}
	}
	if !isJSON(mt) {
		return nil
	}
	v, err := pyjson.Decode(body)
	if err != nil {
		return []Problem{{Kind: "response_schema_conformance", Message: fmt.Sprintf("status %d: the body is not JSON: %v", status, err)}}
	}
	if status == http.StatusOK && len(d.Providers) > 0 {
		err = d.checkProviders(v)
	} else if rs.field != nil {
		err = rs.field.Check(v)
	}
	if err != nil {
		return []Problem{{Kind: "response_schema_conformance", Message: fmt.Sprintf("status %d: %v", status, err)}}
	}
	return nil
}

// checkProviders passes a 200 body that one provider schema accepts; the error is the
// one of the provider it names, or of the first.
func (d *Document) checkProviders(v pyjson.Value) error {
	if v.Kind != pyjson.Object {
		return fmt.Errorf("got %s, want an object", v.Kind)
	}
	named, _ := v.Get(ProviderField)
	var first error
	for _, p := range d.Providers {
		f := Field{Kinds: []pyjson.Kind{pyjson.Object}, Props: p.Fields}
		err := f.Check(v)
		if err == nil {
			return nil
		}
		err = fmt.Errorf("%s: %w", p.Title, err)
		if named.Kind == pyjson.String && named.Str == p.Name {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// needsFullCheck refuses a document whose request schema has a part only
// libopenapi-validator can decide, when it is not linked in.
func needsFullCheck(u *Union, warnings []Warning) error {
	seen := map[*Branch]bool{}
	for _, b := range u.Branches {
		if branchNeedsFull(b, seen) {
			var where []string
			for _, w := range warnings {
				if w.Side != "response" {
					where = append(where, w.Keyword+" at "+w.Pointer)
				}
			}
			return fmt.Errorf("%w: it uses %s", ErrNeedsFullCheck, strings.Join(where, ", "))
		}
	}
	return nil
}

func branchNeedsFull(b *Branch, seen map[*Branch]bool) bool {
	if b == nil || seen[b] {
		return false
	}
	seen[b] = true
	if b.fallback != nil || nodeNeedsFull(b.whole, seen) {
		return true
	}
	for _, p := range b.Props {
		if nodeNeedsFull(p.node, seen) {
			return true
		}
	}
	return false
}

func nodeNeedsFull(n *node, seen map[*Branch]bool) bool {
	return n != nil && (n.fallback != nil || nodeNeedsFull(n.items, seen) || branchNeedsFull(n.model, seen))
}
