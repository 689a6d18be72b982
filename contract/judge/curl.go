package judge

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/protocol"
)

// TokenVariable is the shell variable a reproduction reads the API token from.
const TokenVariable = "VERBEX_API_KEY"

// goUserAgent is what Go's client sends when a request sets no User-Agent.
const goUserAgent = "Go-http-client/1.1"

// Curl renders a request as a POSIX sh command (dash too) that sends it again as Go's
// default transport sent it: the same method, request target and header fields
// (Host and Content-Length follow from the URL and the body as they did; the
// User-Agent Go adds, and the Accept-Encoding: gzip it asks for, are written out;
// curl's own Accept and Expect are removed), and the body's bytes, written by printf
// from octal escapes so that NUL, invalid UTF-8 and a lone surrogate survive any
// locale. Secrets never appear in the line: the token is "$VERBEX_API_KEY", the value
// of a body key, query parameter or header named like a secret comes from a variable
// named after it ("$SIP_TRUNK_PASSWORD", "$TWILIO_AUTH_TOKEN"; a second different
// value "$SIP_TRUNK_PASSWORD_2"), holding the value's text as the body wrote it
// (between its quotes, escapes as written). A header present with no value is one
// not sent (a proxy's forward asks for no compression). Set to the values used, the
// bytes on the wire are the same. printf must be the shell's builtin for a body
// beyond the kernel's argument limit (it is in dash, bash, ash and zsh).
func Curl(req *http.Request, body []byte, token string) string {
	vars := &shellVars{token: token}
	var b strings.Builder
	bodyCmd := vars.body(body)
	if bodyCmd != "" {
		b.WriteString(bodyCmd)
		b.WriteString(" | ")
	}
	b.WriteString("curl -sS -i --path-as-is -g")
	switch {
	case req.Method == http.MethodHead && len(body) == 0:
		b.WriteString(" -I")
	case req.Method != http.MethodGet || len(body) > 0:
		method := req.Method
		if strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			method = shellQuote(method)
		}
		b.WriteString(" -X " + method)
	}
	b.WriteString(" " + vars.url(req))
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if req.Host != "" && req.Host != req.URL.Host {
		h.Set("Host", req.Host)
	}
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", goUserAgent)
	}
	if _, ok := h["Accept-Encoding"]; !ok && h.Get("Range") == "" && req.Method != http.MethodHead {
		h.Set("Accept-Encoding", "gzip")
	}
	// curl's own headers that Go does not send are removed ("Name:" is curl's
	// syntax for that); a body curl sends without a Content-Type gets its form type.
	for _, k := range []string{"User-Agent", "Accept", "Expect", "Content-Type"} {
		if len(h[k]) == 0 {
			h[k] = []string{""}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			b.WriteString(" -H " + vars.header(k, v))
		}
	}
	switch {
	case len(body) > 0:
		b.WriteString(" --data-binary @-")
	case sendsContentLength(req.Method):
		b.WriteString(" --data-binary ''")
	}
	if len(vars.names) == 0 {
		return b.String()
	}
	// Each variable must be set: unset, the shell stops with its name.
	guard := ":"
	for _, n := range vars.names {
		guard += ` "${` + n + `?}"`
	}
	return guard + "; " + b.String()
}

// sendsContentLength: Go writes Content-Length: 0 for a POST, PUT or PATCH with no
// body ("many servers expect" one), and none for other methods.
func sendsContentLength(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// shellVars names the shell variables a line reads its secrets from.
type shellVars struct {
	token  string
	names  []string          // in order of first use, for the "# set" comment
	values map[string]string // name → value, to tell a second value from the same
}

// name is the variable for a secret value under key: the key in capitals, "_2" and
// on for another value under the same key.
func (s *shellVars) name(key, value string) string {
	if s.token != "" && value == s.token {
		s.use(TokenVariable, value)
		return TokenVariable
	}
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, key)
	if base == "" || base[0] >= '0' && base[0] <= '9' {
		base = "SECRET_" + base
	}
	name := base
	for n := 2; ; n++ {
		v, taken := s.values[name]
		if !taken || v == value {
			break
		}
		name = fmt.Sprintf("%s_%d", base, n)
	}
	s.use(name, value)
	return name
}

func (s *shellVars) use(name, value string) {
	if s.values == nil {
		s.values = map[string]string{}
	}
	if _, ok := s.values[name]; !ok {
		s.values[name] = value
		s.names = append(s.names, name)
	}
}

// header is one -H argument: the token and a secret header's value as variables.
func (s *shellVars) header(k, v string) string {
	switch {
	case v == "":
		if k == "User-Agent" || k == "Accept" || k == "Expect" || k == "Content-Type" {
			return shellQuote(k + ":") // removes curl's own
		}
		return shellQuote(k + ";") // curl's syntax for an empty value
	case s.token != "" && strings.Contains(v, s.token):
		parts := strings.Split(k+": "+v, s.token)
		s.use(TokenVariable, s.token)
		return joinQuoted(parts, `"$`+TokenVariable+`"`)
	case protocol.SecretKey(k):
		// The scheme stays readable (Bearer, Basic); the credential is the variable.
		scheme, cred, ok := strings.Cut(v, " ")
		if !ok || strings.ContainsAny(scheme, "=:") {
			scheme, cred = "", v
		} else {
			scheme += " "
		}
		return shellQuote(k+": "+scheme) + `"$` + s.name(k, cred) + `"`
	}
	return shellQuote(k + ": " + v)
}

// url is the target as Go wrote it (scheme, host, the escaped path and the raw
// query), a query parameter named like a secret as a variable.
func (s *shellVars) url(req *http.Request) string {
	head := req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
	if req.URL.Opaque != "" {
		head = req.URL.Scheme + "://" + req.URL.Host + req.URL.RequestURI()
		return shellQuote(head)
	}
	q := req.URL.RawQuery
	if q == "" && !req.URL.ForceQuery {
		return s.quoteToken(head)
	}
	var b strings.Builder
	b.WriteString(s.quoteToken(head + "?"))
	for i, pair := range strings.Split(q, "&") {
		if i > 0 {
			b.WriteString("'&'")
		}
		k, v, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && v != "" && protocol.SecretKey(name) && v != s.token {
			b.WriteString(shellQuote(k+"=") + `"$` + s.name(name, v) + `"`)
			continue
		}
		b.WriteString(s.quoteToken(pair))
	}
	return b.String()
}

// quoteToken quotes text, the token in it as the variable.
func (s *shellVars) quoteToken(text string) string {
	if s.token == "" || !strings.Contains(text, s.token) {
		return shellQuote(text)
	}
	s.use(TokenVariable, s.token)
	return joinQuoted(strings.Split(text, s.token), `"$`+TokenVariable+`"`)
}

func joinQuoted(parts []string, sep string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
		}
		if p != "" {
			b.WriteString(shellQuote(p))
		}
	}
	return b.String()
}

// body is the command that writes the body's bytes to curl's stdin ("" when empty):
// printf with one format of escaped bytes, each secret a %s of its variable; a
// secret inside a UTF-16 or UTF-32 body goes through iconv from the variable's
// UTF-8 to the body's encoding.
func (s *shellVars) body(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	text := decodeText(body)
	spans := secretSpans(text, s.token)
	if text.unit == 1 {
		spans = withRedactedSpans(body, text, spans)
	}
	if len(spans) == 0 {
		return "printf '" + printfFormat(body) + "'"
	}
	var parts []string
	var format strings.Builder
	var args []string
	flush := func() {
		if format.Len() > 0 {
			parts = append(parts, "printf '"+format.String()+"'"+strings.Join(args, ""))
		}
		format.Reset()
		args = nil
	}
	at := 0
	for _, sp := range spans {
		from, to := text.offsets[sp.from], text.offsets[sp.to]
		value := string(body[from:to])
		if text.unit > 1 {
			value = string(text.runes[sp.from:sp.to])
		}
		name := s.name(sp.key, value)
		format.WriteString(printfFormat(body[at:from]))
		if text.unit > 1 {
			flush()
			parts = append(parts, `printf %s "$`+name+`" | iconv -f UTF-8 -t `+text.encoding)
		} else {
			format.WriteString("%s")
			args = append(args, ` "$`+name+`"`)
		}
		at = to
	}
	format.WriteString(printfFormat(body[at:]))
	flush()
	if len(parts) == 1 {
		return parts[0]
	}
	return "{ " + strings.Join(parts, "; ") + "; }"
}

// printfFormat writes bytes as the inside of a quoted printf format that writes them
// back: printable ASCII as it is (% doubled, ' and \ escaped), \n \t \r, and every
// other byte as a three-digit octal escape, which dash, bash and POSIX printf all
// read the same in any locale.
func printfFormat(b []byte) string {
	var out strings.Builder
	for i, c := range b {
		switch {
		case c == '-' && i == 0:
			out.WriteString(`\055`) // a format starting with - would be read as an option
		case c == '%':
			out.WriteString("%%")
		case c == '\'':
			out.WriteString(`\047`)
		case c == '\\':
			out.WriteString(`\134`)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\t':
			out.WriteString(`\t`)
		case c == '\r':
			out.WriteString(`\r`)
		case c >= 0x20 && c < 0x7f:
			out.WriteByte(c)
		default:
			fmt.Fprintf(&out, `\%03o`, c)
		}
	}
	return out.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// decodedBody is a body read as characters, each with the byte offset it starts at, in
// the encoding json.detect_encoding would pick (UTF-8 bytes that do not decode are
// one character each).
type decodedBody struct {
	runes    []rune
	offsets  []int // offsets[i] is where runes[i] starts; offsets[len(runes)] the end
	unit     int   // bytes per code unit: 1, 2 or 4
	encoding string
}

func decodeText(b []byte) decodedBody {
	t := decodedBody{unit: 1}
	start := 0
	switch {
	case hasBytePrefix(b, 0, 0, 0xFE, 0xFF):
		t.unit, t.encoding, start = 4, "UTF-32BE", 4
	case hasBytePrefix(b, 0xFF, 0xFE, 0, 0):
		t.unit, t.encoding, start = 4, "UTF-32LE", 4
	case hasBytePrefix(b, 0xFE, 0xFF):
		t.unit, t.encoding, start = 2, "UTF-16BE", 2
	case hasBytePrefix(b, 0xFF, 0xFE):
		t.unit, t.encoding, start = 2, "UTF-16LE", 2
	case len(b) >= 4 && b[0] == 0 && b[1] != 0:
		t.unit, t.encoding = 2, "UTF-16BE"
	case len(b) >= 4 && b[0] == 0:
		t.unit, t.encoding = 4, "UTF-32BE"
	case len(b) >= 4 && b[1] == 0 && (b[2] != 0 || b[3] != 0):
		t.unit, t.encoding = 2, "UTF-16LE"
	case len(b) >= 4 && b[1] == 0:
		t.unit, t.encoding = 4, "UTF-32LE"
	}
	be := strings.HasSuffix(t.encoding, "BE")
	for i := start; i < len(b); {
		t.offsets = append(t.offsets, i)
		switch t.unit {
		case 1:
			r, n := utf8.DecodeRune(b[i:])
			t.runes = append(t.runes, r)
			i += n
		case 2:
			if i+2 > len(b) {
				t.runes, i = append(t.runes, utf8.RuneError), len(b)
				continue
			}
			u := func(j int) rune {
				if be {
					return rune(b[j])<<8 | rune(b[j+1])
				}
				return rune(b[j+1])<<8 | rune(b[j])
			}
			r, n := u(i), 2
			if utf16.IsSurrogate(r) && i+4 <= len(b) {
				if pair := utf16.DecodeRune(r, u(i+2)); pair != utf8.RuneError {
					r, n = pair, 4
				}
			}
			t.runes = append(t.runes, r)
			i += n
		default:
			if i+4 > len(b) {
				t.runes, i = append(t.runes, utf8.RuneError), len(b)
				continue
			}
			var r rune
			if be {
				r = rune(b[i])<<24 | rune(b[i+1])<<16 | rune(b[i+2])<<8 | rune(b[i+3])
			} else {
				r = rune(b[i+3])<<24 | rune(b[i+2])<<16 | rune(b[i+1])<<8 | rune(b[i])
			}
			t.runes = append(t.runes, r)
			i += 4
		}
	}
	t.offsets = append(t.offsets, len(b))
	return t
}

func hasBytePrefix(b []byte, p ...byte) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == string(p)
}

// secretSpan is a secret's value in a body: characters [from, to).
type secretSpan struct {
	from, to int
	key      string
	value    string // as written (a string's characters between its quotes)
}

// secretSpans finds, in JSON or JSON-like text (it need not parse), the value of
// every key protocol.SecretKey names, whatever its type, and every occurrence of the
// token: the places RedactBody hides.
func secretSpans(t decodedBody, token string) []secretSpan {
	sc := runeScanner(t.runes)
	var out []secretSpan
	for i := 0; i < len(sc); {
		if sc[i] != '"' {
			i++
			continue
		}
		key, end := sc.str(i)
		colon := sc.space(end)
		if !protocol.SecretKey(key) || colon >= len(sc) || sc[colon] != ':' {
			i = end
			continue
		}
		from := sc.space(colon + 1)
		if from >= len(sc) {
			break
		}
		sp := secretSpan{key: key, from: from, to: sc.valueEnd(from)}
		next := sp.to
		if sc[from] == '"' {
			// The variable holds a string's characters, between its quotes.
			sp.from++
			if sp.to > sp.from && sc[sp.to-1] == '"' {
				sp.to--
			}
		}
		sp.value = string(sc[sp.from:sp.to])
		if sp.to > sp.from && !slices.Contains(sc[sp.from:sp.to], 0) && (t.unit == 1 || !slices.Contains(sc[sp.from:sp.to], utf8.RuneError)) {
			out = append(out, sp)
		}
		i = max(next, from+1)
	}
	if token == "" {
		return out
	}
	// The token elsewhere in the text (outside the spans found).
	tr := []rune(token)
	var more []secretSpan
	for i := 0; i+len(tr) <= len(sc); i++ {
		if slices.Equal(sc[i:i+len(tr)], tr) && !inSpans(out, i, i+len(tr)) {
			more = append(more, secretSpan{from: i, to: i + len(tr), key: TokenVariable, value: token})
			i += len(tr) - 1
		}
	}
	out = append(out, more...)
	slices.SortFunc(out, func(a, b secretSpan) int { return a.from - b.from })
	return out
}

// runeScanner reads JSON-like text loosely: what it cannot read ends a token.
type runeScanner []rune

func (rs runeScanner) space(i int) int {
	for i < len(rs) && (rs[i] == ' ' || rs[i] == '\t' || rs[i] == '\n' || rs[i] == '\r') {
		i++
	}
	return i
}

// str reads the JSON string whose quote is at i: its decoded text, and the index
// after the closing quote (len(rs) when it never closes).
func (rs runeScanner) str(i int) (string, int) {
	var b strings.Builder
	for j := i + 1; j < len(rs); j++ {
		switch {
		case rs[j] == '"':
			return b.String(), j + 1
		case rs[j] != '\\':
			b.WriteRune(rs[j])
		case j+1 < len(rs):
			j++
			if u, err := strconv.ParseUint(string(rs[j+1:min(j+5, len(rs))]), 16, 16); rs[j] == 'u' && err == nil && j+5 <= len(rs) {
				b.WriteRune(rune(u))
				j += 4
				continue
			}
			b.WriteRune(rs[j])
		}
	}
	return b.String(), len(rs)
}

// valueEnd is the index after the value that starts at i: a string, an object or
// array (brackets balanced, strings skipped), or a scalar up to a delimiter.
func (rs runeScanner) valueEnd(i int) int {
	switch rs[i] {
	case '"':
		_, end := rs.str(i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(rs); j++ {
			switch rs[j] {
			case '"':
				_, end := rs.str(j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(rs)
	}
	j := i
	for j < len(rs) && !strings.ContainsRune(",}] \t\r\n", rs[j]) {
		j++
	}
	return j
}

func inSpans(spans []secretSpan, from, to int) bool {
	for _, s := range spans {
		if from < s.to && to > s.from {
			return true
		}
	}
	return false
}

// withRedactedSpans adds to spans what else protocol.RedactText would hide in body (a
// form's value, a Python dict's, multipart, XML, "name: value" text): whatever the
// redaction of the reports hides, the line reads from a variable too.
func withRedactedSpans(body []byte, text decodedBody, spans []secretSpan) []secretSpan {
	added := false
	for _, r := range protocol.SecretSpans(string(body)) {
		// The characters that hold the bytes r[0]:r[1].
		from := sort.SearchInts(text.offsets, r[0])
		if from >= len(text.offsets) || text.offsets[from] != r[0] {
			from--
		}
		to := sort.SearchInts(text.offsets, r[1])
		if from < 0 || to <= from || inSpans(spans, from, to) {
			continue
		}
		value := string(body[text.offsets[from]:text.offsets[to]])
		spans = append(spans, secretSpan{from: from, to: to, key: nameBefore(body, text.offsets[from]), value: value})
		added = true
	}
	if added {
		slices.SortFunc(spans, func(a, b secretSpan) int { return a.from - b.from })
	}
	return spans
}

// nameBefore is the secret's name written before the value at i (the key of
// "key=value", "key: value", 'key': value), or "secret" when none reads as one.
func nameBefore(body []byte, i int) string {
	for i > 0 && strings.IndexByte(" \t='\":", body[i-1]) >= 0 {
		i--
	}
	end := i
	for i > 0 && (body[i-1] == '_' || body[i-1] == '-' || body[i-1] >= 'a' && body[i-1] <= 'z' || body[i-1] >= 'A' && body[i-1] <= 'Z' || body[i-1] >= '0' && body[i-1] <= '9') {
		i--
	}
	if name := string(body[i:end]); protocol.SecretKey(name) {
		return name
	}
	return "secret"
}
