package protocol

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// SecretHeader reports whether a header's value is a secret: its name is one
// SecretKey names (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key,
// apikey, Token, X-Auth, X-Forwarded-Authorization, …).
func SecretHeader(name string) bool { return SecretKey(name) }

// RedactHeaderValue is a header's value as journals and reports keep it: Redacted
// for a secret header, and a secret written inside any other (a URL's query, a
// name=value) redacted by RedactText.
func RedactHeaderValue(name, value string) string {
	if SecretHeader(name) {
		return Redacted
	}
	return RedactText(value)
}

// RedactHeader returns a copy of h with every secret header's values replaced, and
// secrets within the others' values redacted.
func RedactHeader(h http.Header) http.Header {
	c := make(http.Header, len(h))
	for k, v := range h {
		switch {
		case SecretHeader(k):
			v = []string{Redacted}
		case slices.ContainsFunc(v, MayHoldSecret):
			red := make([]string, len(v))
			for i, s := range v {
				red[i] = RedactText(s)
			}
			v = red
		}
		c[k] = v
	}
	return c
}

// RedactQuery returns the raw query with the values of secret-named parameters
// (key, auth, token, api_key, …, percent-encoded or not) replaced; the rest is kept
// as sent.
func RedactQuery(raw string) string {
	if raw == "" || !MayHoldSecret(raw) {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, hasValue := strings.Cut(p, "=")
		switch {
		case hasValue && SecretKey(decodeName(k)):
			parts[i] = k + "=" + url.QueryEscape(Redacted)
		case hasValue && MayHoldSecret(v):
			// A value that carries a URL or text with its own secrets (redirect_uri=…?token=…).
			if dec, err := url.QueryUnescape(v); err == nil {
				if red := RedactText(dec); red != dec {
					parts[i] = k + "=" + url.QueryEscape(red)
				}
			}
		}
	}
	return strings.Join(parts, "&")
}
