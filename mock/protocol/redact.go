package protocol

import (
	"net/http"
	"net/url"
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
	for _, m := range []string{"password", "token", "secret", "api_key", "apikey", "api-key", "authorization"} {
		if strings.Contains(k, m) {
			return true
		}
	}
	return false
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
