package mock

import (
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"
)

// Starlette's redirect_slashes, as its Router does it when no route matched (the rules
// are in docs/fidelity.md, the cases in redirect_test.go):
//
//   - the path it tries is the ASGI scope's path, which the server percent-decoded
//     (Python's urllib.parse.unquote, invalid UTF-8 replaced by U+FFFD), with every
//     trailing slash stripped (str.rstrip("/")), so "x//" and "x%2F/" both try "x";
//     a path without a trailing slash tries it with one added;
//   - if a route matches that path (any method), the answer is a 307 whose Location is
//     URL(scope=…): scheme, the Host header as sent, the decoded path, then "?" and the
//     raw query string as sent (decoded as UTF-8, which fails on anything else: a
//     plain-text 500), all quoted by RedirectResponse with
//     quote(url, safe=":/%#?=@[]!$&'()*+,;"). So an encoded "?" comes back bare
//     ("x%3F/" → "x?"), "%" is never escaped again, and "{" in a query becomes %7B.

// starletteSafe are the bytes Python's quote leaves alone for RedirectResponse:
// its always-safe letters, digits and "_.-~", plus the safe argument.
var starletteSafe = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + ":/%#?=@[]!$&'()*+,;" {
		t[c] = true
	}
	return t
}()

// slashRedirect answers Starlette's 307 when the path with its trailing slashes
// stripped (or one added) matches a route.
func (s *Server) slashRedirect(x *exchange) (answer, bool) {
	p := pythonUTF8(x.r.URL.Path)
	if p == "/" || p == "" {
		return answer{}, false
	}
	try := p + "/"
	if strings.HasSuffix(p, "/") {
		try = strings.TrimRight(p, "/")
	}
	alt := *x.r
	u := *x.r.URL
	u.Path, u.RawPath = try, ""
	alt.URL = &u
	var m mux.RouteMatch
	if try == "" || !s.router.Match(&alt, &m) || m.Route == nil {
		return answer{}, false
	}
	loc, ok := starletteLocation(x.r, try)
	if !ok {
		return serverErrorAnswer(), true
	}
	a := answer{status: http.StatusTemporaryRedirect}
	a.setHeader("Location", loc)
	return a, true
}

// starletteLocation is str(URL(scope=…)) quoted as RedirectResponse does, for the
// decoded path. It is false when Starlette would fail: a query string that is not UTF-8.
func starletteLocation(r *http.Request, path string) (string, bool) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := latin1(r.Host)
	if r.Host == "" {
		// No Host header: Starlette uses the server's address, the port left out when
		// it is the scheme's default.
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if h, port, err := net.SplitHostPort(a.String()); err == nil {
				host = h
				if !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
					host += ":" + port
				}
			}
		}
	}
	url := scheme + "://" + host + path
	if q := r.URL.RawQuery; q != "" {
		if !utf8.ValidString(q) {
			return "", false
		}
		url += "?" + q
	}
	return pythonQuote(url), true
}

// pythonQuote is urllib.parse.quote(s, safe=":/%#?=@[]!$&'()*+,;"): UTF-8 bytes
// outside the safe set as %XX in upper case.
func pythonQuote(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if starletteSafe[c] {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// latin1 reads bytes as ISO-8859-1, as Starlette decodes the Host header.
func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				b.WriteRune(rune(s[j]))
			}
			return b.String()
		}
	}
	return s
}

// pythonUTF8 is bytes.decode("utf-8", errors="replace"), which urllib.parse.unquote
// applies to percent-decoded bytes: each maximal prefix of a valid sequence that is
// cut short, and each byte that starts none, becomes one U+FFFD (Go's utf8 reads such
// a prefix as one error per byte).
func pythonUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n > 1 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += invalidPrefix(s[i:])
	}
	return b.String()
}

// invalidPrefix is the length of the maximal subpart at the start of s, which holds
// no valid UTF-8 sequence there: the lead byte and the continuation bytes that could
// still have begun a valid sequence (Unicode's "maximal subpart" practice, which
// CPython's decoder follows).
func invalidPrefix(s string) int {
	lo, hi, need := byte(0x80), byte(0xBF), 0
	switch c := s[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		lo, need = 0xA0, 2
	case c == 0xED:
		hi, need = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		lo, need = 0x90, 3
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		hi, need = 0x8F, 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		c := s[n]
		if n == 1 && (c < lo || c > hi) || n > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
	}
	return n
}
