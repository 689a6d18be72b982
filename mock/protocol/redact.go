package protocol

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redacted is what stands in for a secret in journals, logs and reports.
const Redacted = "[REDACTED]"

// SecretFields are the document's credential properties. They never reach a journal,
// a log or a report in clear.
var SecretFields = []string{"sip_trunk_password", "twilio_auth_token"}

// SecretKey reports whether a JSON key holds a secret: one of SecretFields, or a key
// named like a credential (password, token, secret, api key, authorization).
func SecretKey(k string) bool {
	if slices.Contains(SecretFields, k) {
		return true
	}
	k = strings.ToLower(k)
	for _, m := range secretMarkers {
		if strings.Contains(k, m) {
			return true
		}
	}
	return false
}

// secretMarkers make a key a secret's wherever they appear in it, in any case.
var secretMarkers = []string{"password", "token", "secret", "api_key", "apikey", "api-key", "authorization"}

// MayHoldSecret is a quick test for a key named like a credential anywhere in text:
// when it is false, RedactText has nothing to do.
func MayHoldSecret(text string) bool {
	lower := strings.ToLower(text)
	for _, m := range secretMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// escapedSecretMember is a credential member inside a JSON string (a 422 echoing a
// text body).
var escapedSecretMember = regexp.MustCompile(`\\"([^"\\]{1,200})\\"(\s*:\s*)(\\"(?:[^"\\]|\\\\)*\\"|[^\s,}\]\\]+)`)

// RedactText is the one redaction policy of the fake's journal, the runner's reports
// and the proxy's: in a body's text, JSON or not, the value of every key SecretKey
// names is replaced by Redacted, whatever it is (a string, a number, null, an
// object or an array, whole), and so is a credential member written inside a JSON
// string. It is a scan, not a parse, for it runs on every journal entry read.
func RedactText(body string) string {
	if !MayHoldSecret(body) {
		return body // the usual case
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(body); {
		if body[i] != '"' {
			i++
			continue
		}
		j := closingQuote(body, i+1)
		if j < 0 {
			break
		}
		k := skipSpace(body, j+1)
		if k >= len(body) || body[k] != ':' || !SecretKey(body[i+1:j]) {
			i = j + 1
			continue
		}
		v := skipSpace(body, k+1)
		end := valueEnd(body, v)
		if end <= v {
			i = v
			continue
		}
		b.WriteString(body[last:v])
		b.WriteString(`"` + Redacted + `"`)
		last, i = end, end
	}
	if last > 0 {
		b.WriteString(body[last:])
		body = b.String()
	}
	if strings.Contains(body, `\"`) { // credentials inside a JSON string (a 422 echoing a text body)
		body = escapedSecretMember.ReplaceAllStringFunc(body, func(m string) string {
			sub := escapedSecretMember.FindStringSubmatch(m)
			if !SecretKey(sub[1]) {
				return m
			}
			return `\"` + sub[1] + `\"` + sub[2] + `\"` + Redacted + `\"`
		})
	}
	return body
}

// valueEnd is the end of the JSON value that starts at v: a string, a balanced
// object or array (to the end of the text if it is cut), or a bare scalar.
func valueEnd(s string, v int) int {
	if v >= len(s) {
		return v
	}
	switch s[v] {
	case '"':
		if end := closingQuote(s, v+1); end >= 0 {
			return end + 1
		}
		return len(s)
	case '{', '[':
		depth := 0
		for i := v; i < len(s); i++ {
			switch s[i] {
			case '"':
				if i = closingQuote(s, i+1); i < 0 {
					return len(s)
				}
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(s)
	}
	end := v
	for end < len(s) && !strings.ContainsRune(" \t\r\n,}]", rune(s[end])) {
		end++
	}
	return end
}

// closingQuote finds the quote that ends a JSON string whose text starts at i; -1 if none.
func closingQuote(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// SecretHeader reports whether a header's value is a secret: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, and any name ending in -Key or -Token.
func SecretHeader(name string) bool {
	switch k := http.CanonicalHeaderKey(name); {
	case k == "Authorization", k == "Proxy-Authorization", k == "Cookie", k == "Set-Cookie":
		return true
	case strings.HasSuffix(k, "-Key"), strings.HasSuffix(k, "-Token"), strings.HasSuffix(k, "-Secret"):
		return true
	}
	return false
}

// RedactHeader returns a copy of h with every secret header's values replaced.
func RedactHeader(h http.Header) http.Header {
	c := make(http.Header, len(h))
	for k, v := range h {
		if SecretHeader(k) {
			v = []string{Redacted}
		}
		c[k] = v
	}
	return c
}

// RedactQuery returns the raw query with the values of secret-named parameters
// (api_key, token, …) replaced; the rest is kept as sent.
func RedactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && SecretKey(name) {
			parts[i] = k + "=" + url.QueryEscape(Redacted)
		}
	}
	return strings.Join(parts, "&")
}
