package judge

import (
	"strings"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// RedactValue renders v for a report as JSON, secrets redacted by
// protocol.RedactText: the one policy (secret keys at any depth, a validation
// error's input for a secret's field, a credential written inside a string).
func RedactValue(v pyjson.Value) string {
	text, err := pyjson.Append(nil, v)
	if err != nil { // a lone surrogate: rendered valid, so that the policy still reads JSON
		text, _ = pyjson.Append(nil, validUTF8(v))
	}
	return protocol.RedactText(string(text))
}

// validUTF8 is v with every string that is not valid UTF-8 made so.
func validUTF8(v pyjson.Value) pyjson.Value {
	switch v.Kind {
	case pyjson.String:
		return pyjson.StringValue(strings.ToValidUTF8(v.Str, "\uFFFD"))
	case pyjson.Object:
		out := make([]pyjson.Member, len(v.Obj))
		for i, m := range v.Obj {
			out[i] = pyjson.Member{Key: strings.ToValidUTF8(m.Key, "\uFFFD"), Value: validUTF8(m.Value)}
		}
		return pyjson.ObjectValue(out)
	case pyjson.Array:
		out := make([]pyjson.Value, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = validUTF8(e)
		}
		return pyjson.ArrayValue(out)
	}
	return v
}

// locNamesSecret: a validation error whose loc ends in a secret's name (its input
// is the secret; protocol.RedactText hides it, and Compare does not show it).
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

// RedactMismatches redacts what a difference shows: the values of a difference at a
// secret's key ($.sip_trunk_password: expected absent, got "…"), and secrets in any
// text (protocol.RedactText: a body that is not JSON, quoted, is shown as the target
// sent it).
func RedactMismatches(mm []Mismatch) []Mismatch {
	if len(mm) == 0 {
		return mm
	}
	out := make([]Mismatch, len(mm))
	for i, m := range mm {
		if protocol.SecretKey(lastPathName(m.Path)) {
			m.Expected, m.Got = redactUnlessAbsent(m.Expected), redactUnlessAbsent(m.Got)
		}
		m.Expected, m.Got = protocol.RedactText(m.Expected), protocol.RedactText(m.Got)
		out[i] = m
	}
	return out
}

// lastPathName is the last key a difference's path names ("$.a.b[2]" names "b").
func lastPathName(path string) string {
	path = strings.TrimRight(strings.TrimRight(path, "[]0123456789"), `"']`)
	start := len(path)
	for start > 0 && strings.IndexByte(".[\"' ", path[start-1]) < 0 {
		start--
	}
	return path[start:]
}

func redactUnlessAbsent(s string) string {
	if s == "absent" || s == "" {
		return s
	}
	return protocol.Redacted
}
