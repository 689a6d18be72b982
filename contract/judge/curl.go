package judge

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

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
