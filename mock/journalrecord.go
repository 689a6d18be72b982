package mock

import (
	"strings"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// recordShape is what the journal knows beforehand of a provider's record answers:
// each field's key as spec.Provider.AppendRecord writes it, and which fields are
// named like a secret. The server builds one per provider of its document.
type recordShape struct {
	keys   []string // `"name":`
	secret []bool
}

func recordShapes(doc *spec.Document) map[*spec.Provider]*recordShape {
	shapes := make(map[*spec.Provider]*recordShape, len(doc.Providers))
	for _, p := range doc.Providers {
		r := &recordShape{keys: make([]string, len(p.Fields)), secret: make([]bool, len(p.Fields))}
		for i, f := range p.Fields {
			key, err := pyjson.AppendString(nil, f.Name)
			if err != nil {
				return nil // a name that cannot be written: its records are redacted as text
			}
			r.keys[i], r.secret[i] = string(key)+":", protocol.SecretKey(f.Name)
		}
		shapes[p] = r
	}
	return shapes
}

// appendRecordRedacted appends what protocol.AppendRedacted makes of answer, a
// record the fake rendered, without the scanner: the keys are known, so the value of
// a field named like a secret is written as "[REDACTED]" and only a value whose own
// text may hold a secret is redacted as text. A valid update's answer always carries
// the record's credentials, and scanning it cost a third of the request.
// TestRecordRedactedAsText holds the two equal.
func appendRecordRedacted(dst, answer []byte, r *recordShape) []byte {
	start, text := len(dst), bytesView(answer)
	i := 1 // after '{'
	dst = append(dst, '{')
	for f, key := range r.keys {
		if f > 0 {
			if i >= len(text) || text[i] != ',' {
				return protocol.AppendRedacted(dst[:start], text)
			}
			i++
			dst = append(dst, ',')
		}
		if !strings.HasPrefix(text[i:], key) {
			return protocol.AppendRedacted(dst[:start], text) // not the record after all
		}
		i += len(key)
		valueEnd := protocol.JSONValueEnd(text, i)
		dst = append(dst, key...)
		value := text[i:valueEnd]
		switch {
		case r.secret[f]:
			dst = append(dst, `"`+Redacted+`"`...)
		case protocol.MayHoldSecret(value):
			dst = protocol.AppendRedacted(dst, value)
		default:
			dst = append(dst, value...)
		}
		i = valueEnd
	}
	if i != len(text)-1 || text[i] != '}' {
		return protocol.AppendRedacted(dst[:start], text)
	}
	return append(dst, '}')
}
