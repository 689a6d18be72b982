package mock

import (
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/spec"
)

// recordShape is what the journal knows beforehand of a provider's record answers:
// each field's key as spec.Provider.AppendRecord writes it, and which fields are
// named like a secret. The server builds one per provider of its document.
type recordShape struct {
	keys   []string // `"name":`
	secret []bool
}

// recordLayout says that an answer is a record of shape, its values ending at ends
// (spec.Provider.AppendRecordEnds); shape is nil for any other answer.
type recordLayout struct {
	shape *recordShape
	ends  []int32
}

func recordShapes(doc *spec.Document) map[*spec.Provider]*recordShape {
	shapes := make(map[*spec.Provider]*recordShape, len(doc.Providers))
	for _, p := range doc.Providers {
		r := &recordShape{keys: make([]string, len(p.Fields)), secret: make([]bool, len(p.Fields))}
		for i, f := range p.Fields {
			key, ok := p.RecordKey(i)
			if !ok {
				return nil // a name that cannot be written: its records are redacted as text
			}
			r.keys[i], r.secret[i] = key, protocol.SecretKey(f.Name)
		}
		shapes[p] = r
	}
	return shapes
}

// appendRecordRedacted appends what protocol.AppendRedacted makes of answer, a
// record the fake rendered, without the scanner: the keys are known, and ends (from
// spec.Provider.AppendRecordEnds) says where each value ends, so the value of a field
// named like a secret is written as "[REDACTED]", only a value whose own text may
// hold a secret is redacted as text, and the rest is copied in runs. A valid
// update's answer always carries the record's credentials, and scanning it cost a
// third of the request. TestRecordRedactedAsText holds the two equal.
func appendRecordRedacted(dst, answer []byte, record recordLayout) []byte {
	text, r, ends := bytesView(answer), record.shape, record.ends
	if len(ends) != len(r.keys) || len(ends) == 0 || int(ends[len(ends)-1]) != len(text)-1 {
		return protocol.AppendRedacted(dst, text) // not the record after all
	}
	copied, valueStart := 0, 1 // after '{'
	for f, key := range r.keys {
		valueStart += len(key)
		end := int(ends[f])
		if valueStart > end || text[valueStart-len(key):valueStart] != key {
			return protocol.AppendRedacted(dst, text)
		}
		value := text[valueStart:end]
		switch {
		case r.secret[f]:
			dst = append(dst, text[copied:valueStart]...)
			dst = append(dst, `"`+Redacted+`"`...)
			copied = end
		case protocol.MayHoldSecret(value):
			dst = append(dst, text[copied:valueStart]...)
			dst = protocol.AppendRedacted(dst, value)
			copied = end
		}
		valueStart = end + 1 // after ','
	}
	return append(dst, text[copied:]...)
}
