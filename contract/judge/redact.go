package judge

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	matchers "github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// RedactValue renders v with every secret-named key's value replaced.
func RedactValue(v pyjson.Value) string { return matchers.Text(RedactTree(v)) }

// RedactTree replaces the value of every secret-named key (protocol.SecretKey) that
// is not null, at any depth.
func RedactTree(v pyjson.Value) pyjson.Value {
	return v.ReplaceMembers(func(key string, val pyjson.Value) (pyjson.Value, bool) {
		if protocol.SecretKey(key) && val.Kind != pyjson.Null {
			return pyjson.StringValue(protocol.Redacted), true
		}
		return val, false
	})
}

// RedactBody redacts a body for reports: secret keys in JSON, and the token anywhere.
func RedactBody(b []byte, token string) string {
	if v, err := pyjson.Decode(b); err == nil {
		return RedactText(RedactValue(v), token)
	}
	return RedactText(string(Truncate(b)), token)
}

func RedactText(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, protocol.Redacted)
	}
	return s
}

// Curl renders a request as a shell command that reproduces it, secrets protocol.Redacted: the
// token comes from $VERBEX_API_KEY.
func Curl(req *http.Request, body []byte, token string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -i -X %s %s", req.Method, shellQuote(req.URL.String()))
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := req.Header.Get(k)
		if k == "Authorization" {
			b.WriteString(` -H "Authorization: Bearer $VERBEX_API_KEY"`)
			continue
		}
		fmt.Fprintf(&b, " -H %s", shellQuote(k+": "+v))
	}
	if len(body) > 0 {
		fmt.Fprintf(&b, " --data-binary %s", shellQuote(RedactBody(body, token)))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Truncate cuts a body a report shows to 2 KiB.
func Truncate(b []byte) []byte {
	if len(b) > 2048 {
		return append(b[:2048:2048], "…"...)
	}
	return b
}
