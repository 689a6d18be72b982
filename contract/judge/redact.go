package judge

import (
	"strings"

	matchers "github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// RedactValue renders v for a report, secrets redacted (RedactTree, then
// protocol.RedactText for a credential written inside a string).
func RedactValue(v pyjson.Value) string { return protocol.RedactText(matchers.Text(RedactTree(v))) }

// RedactTree replaces, at any depth, the value of every key protocol.SecretKey
// names, whatever it is, and the input a validation error echoes for such a field
// (loc ending in its name): the policy of protocol.RedactText on a parsed value.
func RedactTree(v pyjson.Value) pyjson.Value {
	switch v.Kind {
	case pyjson.Object:
		secretInput := locNamesSecret(v)
		out := make([]pyjson.Member, len(v.Obj))
		for i, m := range v.Obj {
			if protocol.SecretKey(m.Key) || (secretInput && m.Key == "input") {
				m.Value = pyjson.StringValue(protocol.Redacted)
			} else {
				m.Value = RedactTree(m.Value)
			}
			out[i] = m
		}
		return pyjson.ObjectValue(out)
	case pyjson.Array:
		out := make([]pyjson.Value, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = RedactTree(e)
		}
		return pyjson.ArrayValue(out)
	}
	return v
}

// locNamesSecret: a validation error whose loc ends in a secret's name.
func locNamesSecret(v pyjson.Value) bool {
	loc, ok := v.Get("loc")
	if !ok || loc.Kind != pyjson.Array || len(loc.Arr) == 0 {
		return false
	}
	last := loc.Arr[len(loc.Arr)-1]
	return last.Kind == pyjson.String && protocol.SecretKey(last.Str)
}

// RedactBody redacts a body for reports: secrets as RedactValue does in JSON, as
// protocol.RedactText does in any other text, and the token anywhere.
func RedactBody(b []byte, token string) string {
	if v, err := pyjson.Decode(b); err == nil {
		return RedactText(RedactValue(v), token)
	}
	return RedactText(protocol.RedactText(string(Truncate(b))), token)
}

// RedactText replaces the token wherever it appears.
func RedactText(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, protocol.Redacted)
	}
	return s
}

// Truncate cuts a body a report shows to 2 KiB.
func Truncate(b []byte) []byte {
	if len(b) > 2048 {
		return append(b[:2048:2048], "…"...)
	}
	return b
}
