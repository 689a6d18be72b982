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
	start := len(dst)
	i := 1 // after '{'
	dst = append(dst, '{')
	for f := range p.Fields {
		if f > 0 {
			if i >= len(answer) || answer[i] != ',' {
				return protocol.AppendRedacted(dst[:start], bytesView(answer))
			}
			i++
			dst = append(dst, ',')
		}
		keyEnd := jsonValueEnd(answer, i)
		if keyEnd < 0 || keyEnd >= len(answer) || answer[keyEnd] != ':' {
			return protocol.AppendRedacted(dst[:start], bytesView(answer)) // not the record after all
		}
		valueEnd := jsonValueEnd(answer, keyEnd+1)
		if valueEnd < 0 {
			return protocol.AppendRedacted(dst[:start], bytesView(answer))
		}
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
		return protocol.AppendRedacted(dst[:start], bytesView(answer))
	}
	return append(dst, '}')
}

// jsonValueEnd is the index after the compact JSON value (as pyjson.Append writes
// it) that starts at i, or -1 when none does.
func jsonValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	depth := 0
	for j := i; j < len(b); j++ {
		c := b[j]
		switch c {
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			if j >= len(b) {
				return -1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return j // the end of the enclosing value
			}
		case ',', ':':
			if depth == 0 {
				return j
			}
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return j + 1
		}
	}
	if depth == 0 {
		return len(b)
	}
	return -1
}
