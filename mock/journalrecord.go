package mock

import (
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/spec"
)

// appendRecordRedacted appends what protocol.AppendRedacted makes of answer, a
// record the fake rendered (spec.Provider.AppendRecord), without the scanner: the
// fields are known, so the value of a field named like a secret is written as
// "[REDACTED]" and only a value whose own text may hold a secret is redacted as text.
// A valid update's answer always carries the record's credentials, and scanning it
// cost a third of the request. TestRecordRedactedAsText holds the two equal.
func appendRecordRedacted(dst, answer []byte, p *spec.Provider) []byte {
	start, text := len(dst), bytesView(answer)
	i := 1 // after '{'
	dst = append(dst, '{')
	for f := range p.Fields {
		if f > 0 {
			if i >= len(answer) || answer[i] != ',' {
				return protocol.AppendRedacted(dst[:start], text)
			}
			i++
			dst = append(dst, ',')
		}
		keyEnd := protocol.JSONValueEnd(text, i)
		if keyEnd >= len(answer) || answer[keyEnd] != ':' {
			return protocol.AppendRedacted(dst[:start], text) // not the record after all
		}
		valueEnd := protocol.JSONValueEnd(text, keyEnd+1)
		dst = append(dst, answer[i:keyEnd+1]...)
		value := bytesView(answer[keyEnd+1 : valueEnd])
		switch {
		case protocol.SecretKey(p.Fields[f].Name):
			dst = append(dst, `"`+Redacted+`"`...)
		case protocol.MayHoldSecret(value):
			dst = protocol.AppendRedacted(dst, value)
		default:
			dst = append(dst, value...)
		}
		i = valueEnd
	}
	if i != len(answer)-1 || answer[i] != '}' {
		return protocol.AppendRedacted(dst[:start], text)
	}
	return append(dst, '}')
}
