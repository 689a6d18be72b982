package protocol

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Redacted is what stands in for a secret in journals, logs and reports.
const Redacted = "[REDACTED]"

// SecretFields are the document's credential properties. They never reach a journal,
// a log or a report in clear.
var SecretFields = []string{"sip_trunk_password", "twilio_auth_token"}

// secretMarkers make a name a secret's wherever they appear in it, in any case
// ("sip_trunk_password", "accessToken", "X-Forwarded-Authorization", "Set-Cookie").
var secretMarkers = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "authorization",
	"credential", "cookie", "authkey", "accesskey", "privatekey",
}

// secretWords make a name a secret's when they are one of its words (split at
// anything but letters and digits, and where a lower-case letter meets an upper-case
// one): "X-Auth", "api_key", "apiKey", "Key", "pwd". As words only, so that "author",
// "monkey" and "keyboard" stay readable.
var secretWords = []string{"auth", "key", "keys", "pass", "pwd", "jwt"}

// SecretKey reports whether a name holds a secret, wherever the name is: a JSON or
// Python key, a form or query parameter, a header, a multipart part. The one rule:
// one of SecretFields; or, in any case, a name containing one of secretMarkers; or a
// name one of whose words is one of secretWords. It over-redacts on purpose
// ("token_count", "key_id"); the document's own fields (phone_number_id,
// friendly_name, sip_trunk_username, twilio_account_sid, …) stay readable.
func SecretKey(k string) bool {
	if !MayHoldSecret(k) {
		return false // every marker and word holds one of its stems
	}
	if slices.Contains(SecretFields, k) {
		return true
	}
	for _, m := range secretMarkers {
		if containsFold(k, m) {
			return true
		}
	}
	for start := 0; start < len(k); {
		end := start + 1
		for end < len(k) && isAlnum(k[end]) && isAlnum(k[end-1]) && !(isLowerOrDigit(k[end-1]) && isUpper(k[end])) {
			end++
		}
		if word := k[start:end]; isAlnum(word[0]) {
			for _, w := range secretWords {
				if len(word) == len(w) && hasPrefixFold(word, w) {
					return true
				}
			}
		}
		start = end
	}
	return false
}

// containsFold: s contains the lower-case ASCII word w, in any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if hasPrefixFold(s[i:], w) {
			return true
		}
	}
	return false
}

func isUpper(c byte) bool        { return c >= 'A' && c <= 'Z' }
func isLowerOrDigit(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool        { return isUpper(c) || isLowerOrDigit(c) }

// MayHoldSecret is a quick test, without allocating, for text that may hold a
// secret: a name with one of stems in it, or something that may hide one (a percent
// or \u escape, a NUL byte of UTF-16 or UTF-32). When it is false, RedactText has
// nothing to do. Every journal entry pays for it on each value, so most bytes cost
// one look-up and most stem letters one more, of the letter after them.
func MayHoldSecret(text string) bool {
	for i := 0; i < len(text)-1; i++ { // nothing to find in the last byte alone
		m := stemPairs[text[i]]
		if m == 0 {
			continue
		}
		if m&pairAlone != 0 {
			return true
		}
		next := text[i+1] | 0x20 // lower-cases a letter; no other byte becomes one
		if next < 'a' || next > 'z' || m&(1<<(next-'a')) == 0 {
			continue
		}
		if m&pairEscape != 0 {
			if text[i+1] == 'u' {
				return true
			}
			continue
		}
		for _, stem := range stemsFrom[(text[i]|0x20)-'a'] {
			if hasPrefixFold(text[i:], stem) {
				return true
			}
		}
	}
	return len(text) > 0 && stemPairs[text[len(text)-1]]&pairAlone != 0
}

// stems are the lower-case words every secretMarkers and secretWords entry holds
// one of (TestSecretNamesHoldAStem).
var stems = []string{"pass", "pwd", "secret", "token", "auth", "key", "cookie", "credential", "jwt"}

// stemPairs marks the bytes MayHoldSecret looks further at: for a stem's first
// letter, in either case, a bit for each lower-case letter a stem goes on with (bit 0
// for 'a'); pairAlone for a byte that may hide a secret alone (NUL, '%'); pairEscape,
// with the bit for 'u', for the backslash of a \u escape.
var stemPairs = func() (t [256]uint32) {
	for _, stem := range stems {
		t[stem[0]] |= 1 << (stem[1] - 'a')
		t[stem[0]-'a'+'A'] |= 1 << (stem[1] - 'a')
	}
	t[0], t['%'] = pairAlone, pairAlone
	t['\\'] = pairEscape | 1<<('u'-'a')
	return t
}()

const (
	pairAlone  = 1 << 31
	pairEscape = 1 << 30
)

// stemsFrom lists the stems by first letter ('a' first).
var stemsFrom = func() (t [26][]string) {
	for _, stem := range stems {
		t[stem[0]-'a'] = append(t[stem[0]-'a'], stem)
	}
	return t
}()

// hasPrefixFold: s starts with the lower-case ASCII word w, in any case.
func hasPrefixFold(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// RedactText is the one redaction policy of the fake's journal, the runner's reports
// and the proxy's, for a body of any content type. The value of every name SecretKey
// names is replaced by Redacted, whatever the value is (a string, a number, null, an
// object or an array, whole), wherever the name is written:
//   - a JSON key, its escapes decoded ("sip_trunk_\u0070assword");
//   - a Python dict's key ({'sip_trunk_password': '…'});
//   - a form or query parameter, percent-encoded or not (sip_trunk_password=…&…);
//   - "name: value" or "name=value" in any text (a header dump, YAML), to the end of
//     the line or of the value;
//   - a multipart part's name (name="sip_trunk_password"), its content whole;
//   - any of these inside a JSON string, at any depth up to three (a 422 echoing a text
//     body, a JSON document sent as a string);
//   - all of these in a UTF-16 or UTF-32 body (with or without its BOM, detected as
//     json.loads detects it), which stays in its encoding.
//
// A validation error whose loc ends in a secret's name has its input redacted too
// (the 422 echo of the secret sent). It is a single scan, not a parse: linear in the
// text, and nothing at all when MayHoldSecret is false.
func RedactText(body string) string {
	if !MayHoldSecret(body) {
		return body // the usual case
	}
	if strings.IndexByte(body, 0) >= 0 {
		if out, ok := redactWide(body); ok {
			return out
		}
	}
	return redact(body, 0)
}

// maxStringDepth bounds how deep redaction looks into strings within strings.
const maxStringDepth = 3

// maxFrames bounds the objects whose validation-error state is followed at once.
const maxFrames = 256

// multipartLookahead bounds the part headers between a part's name and its content.
const multipartLookahead = 1 << 10

type span struct {
	start, end int
	with       string
}

// frame is an open JSON object: does its loc name a secret, and where its input is.
type frame struct {
	secretLoc bool
	input     *span
}

type scanner struct {
	s      string
	depth  int
	spans  []span
	frames []frame
	open   int // objects open, tracked or not
	// Room for the usual body's spans and objects, so that scanning one allocates
	// nothing but its result.
	spanRoom  [4]span
	frameRoom [8]frame
}

func redact(s string, depth int) string {
	var sc scanner
	sc.s, sc.depth = s, depth
	sc.spans, sc.frames = sc.spanRoom[:0], sc.frameRoom[:0]
	sc.run()
	return sc.apply()
}

func (sc *scanner) run() {
	s := sc.s
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			end := closingQuote(s, i+1)
			if end < 0 {
				i++ // a stray quote: the rest is text
				continue
			}
			i = sc.quoted(i, end)
		case c == '{':
			sc.open++
			if sc.open <= maxFrames {
				sc.frames = append(sc.frames, frame{})
			}
			i++
		case c == '}':
			sc.closeObject()
			i++
		case nameStart(s, i):
			i = sc.bare(i, nameEnd(s, i))
		default:
			i++
		}
	}
	for sc.open > 0 {
		sc.closeObject()
	}
}

func (sc *scanner) closeObject() {
	if sc.open == 0 {
		return
	}
	if sc.open <= maxFrames {
		f := sc.frames[len(sc.frames)-1]
		sc.frames = sc.frames[:len(sc.frames)-1]
		if f.secretLoc && f.input != nil {
			sc.spans = append(sc.spans, *f.input)
		}
	}
	sc.open--
}

func (sc *scanner) top() *frame {
	if sc.open == 0 || sc.open > maxFrames {
		return nil
	}
	return &sc.frames[len(sc.frames)-1]
}

// quoted handles the double-quoted string s[i:end+1]: a key, a multipart part's
// name, or a string whose text is redacted in turn. It returns where to go on.
func (sc *scanner) quoted(i, end int) int {
	s := sc.s
	raw := s[i+1 : end]
	k := skipSpace(s, end+1)
	if k < len(s) && (s[k] == ':' || s[k] == '=') && !isURLScheme(s, k) {
		name := decodeName(raw)
		v := skipSpace(s, k+1)
		if SecretKey(name) {
			if ve, with := sc.value(v, `"`, s[k]); ve > v {
				sc.spans = append(sc.spans, span{v, ve, with})
				return ve
			}
			return v
		}
		switch f := sc.top(); {
		case f == nil:
		case name == "loc" && v < len(s) && s[v] == '[':
			if lastArrayString(s[v:JSONValueEnd(s, v)], SecretKey) {
				f.secretLoc = true
			}
		case name == "input" && v < len(s):
			if ve := JSONValueEnd(s, v); ve > v {
				f.input = &span{v, ve, `"` + Redacted + `"`}
			}
		}
		return v
	}
	if ve := sc.multipart(i, raw, end+1); ve > 0 {
		return ve
	}
	if sc.depth < maxStringDepth && MayHoldSecret(raw) {
		if !strings.Contains(raw, `\`) {
			if r := redact(raw, sc.depth+1); r != raw {
				sc.spans = append(sc.spans, span{i + 1, end, r})
			}
		} else if text, ok := unescapeJSON(raw); ok {
			if r := redact(text, sc.depth+1); r != text {
				sc.spans = append(sc.spans, span{i + 1, end, escapeJSON(r)})
			}
		} else if r := redact(raw, sc.depth+1); r != raw {
			// Not a JSON string: read it as it is written, escapes and all.
			sc.spans = append(sc.spans, span{i + 1, end, r})
		}
	}
	return end + 1
}

// multipart redacts a part's content when its name (name="…", just read) is a
// secret's: from the blank line that ends the part's headers to its boundary. It
// returns where to go on, or 0 when this is no such part.
func (sc *scanner) multipart(i int, raw string, after int) int {
	s := sc.s
	if i < 5 || !hasPrefixFold(s[i-5:i], "name=") || !SecretKey(decodeName(raw)) {
		return 0
	}
	head := s[after:min(len(s), after+multipartLookahead)]
	blank, sep := strings.Index(head, "\r\n\r\n"), 4
	if n := strings.Index(head, "\n\n"); n >= 0 && (blank < 0 || n < blank) {
		blank, sep = n, 2
	}
	if blank < 0 {
		return 0
	}
	start := after + blank + sep
	end := len(s)
	if n := strings.Index(s[start:], "\n--"); n >= 0 {
		end = start + n
		if end > start && s[end-1] == '\r' {
			end--
		}
	}
	if end > start {
		sc.spans = append(sc.spans, span{start, end, Redacted})
	}
	return end
}

// bare handles the unquoted name s[i:j]: a form, query, Python or "name: value"
// key when a separator follows it. It returns where to go on.
func (sc *scanner) bare(i, j int) int {
	s := sc.s
	if i > 0 && s[i-1] == '<' && j < len(s) && s[j] == '>' && SecretKey(decodeName(s[i:j])) {
		// <password>…</password>
		end := len(s)
		if n := strings.IndexByte(s[j+1:], '<'); n >= 0 {
			end = j + 1 + n
		}
		if end > j+1 {
			sc.spans = append(sc.spans, span{j + 1, end, Redacted})
		}
		return end
	}
	quote := ""
	k := j
	if i > 0 && s[i-1] == '\'' && k < len(s) && s[k] == '\'' {
		quote, k = "'", k+1
	}
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k >= len(s) || (s[k] != ':' && s[k] != '=') || isURLScheme(s, k) || !SecretKey(decodeName(s[i:j])) {
		return j
	}
	v := k + 1
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if ve, with := sc.value(v, quote, s[k]); ve > v {
		sc.spans = append(sc.spans, span{v, ve, with})
		return ve
	}
	return j
}

// value finds the end of the value at v and what stands in for it: a quoted string
// keeps its quotes, anything else takes the quotes of its key (so that JSON stays
// JSON and a Python dict a dict).
func (sc *scanner) value(v int, keyQuote string, sep byte) (int, string) {
	s := sc.s
	if v >= len(s) {
		return v, ""
	}
	switch s[v] {
	case '"':
		return JSONValueEnd(s, v), `"` + Redacted + `"`
	case '\'':
		return singleQuotedEnd(s, v+1), "'" + Redacted + "'"
	case '{', '[':
		return JSONValueEnd(s, v), keyQuote + Redacted + keyQuote
	}
	stop := " \t\r\n,}])" // a JSON or Python scalar
	switch {
	case keyQuote != "":
	case sep == '=':
		stop = " \t\r\n&;,\"'<>}]" // a form or query value, a name=value pair
	default:
		stop = "\r\n&;,\"'<>}]" // name: value, to the end of the line (Authorization: Bearer …)
	}
	end := v
	for end < len(s) && strings.IndexByte(stop, s[end]) < 0 {
		end++
	}
	for end > v && (s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	return end, keyQuote + Redacted + keyQuote
}

// apply writes the text with its spans replaced.
func (sc *scanner) apply() string {
	if len(sc.spans) == 0 {
		return sc.s
	}
	return string(sc.appendTo(make([]byte, 0, len(sc.s)+16)))
}

// appendTo appends the text with its spans replaced to dst.
func (sc *scanner) appendTo(dst []byte) []byte {
	last := 0
	for _, sp := range sc.ordered() {
		dst = append(append(dst, sc.s[last:sp.start]...), sp.with...)
		last = sp.end
	}
	return append(dst, sc.s[last:]...)
}

// AppendRedacted appends RedactText(text) to dst, without a copy of its own: the
// journal writes a body redacted straight into the buffer it keeps.
func AppendRedacted(dst []byte, text string) []byte {
	if !MayHoldSecret(text) {
		return append(dst, text...)
	}
	if strings.IndexByte(text, 0) >= 0 {
		if out, ok := redactWide(text); ok {
			return append(dst, out...)
		}
	}
	var sc scanner
	sc.s = text
	sc.spans, sc.frames = sc.spanRoom[:0], sc.frameRoom[:0]
	sc.run()
	return sc.appendTo(dst)
}

// ordered sorts the spans and drops each one inside a span before it.
func (sc *scanner) ordered() []span {
	slices.SortFunc(sc.spans, func(x, y span) int {
		if x.start != y.start {
			return x.start - y.start
		}
		return y.end - x.end
	})
	kept, last := sc.spans[:0], 0
	for _, sp := range sc.spans {
		if sp.start >= last {
			kept = append(kept, sp)
			last = sp.end
		}
	}
	return kept
}

// SecretSpans reports the byte ranges of text that RedactText replaces, in order and
// apart; nil for a UTF-16 or UTF-32 body, which it does not read. A report's curl
// line puts a shell variable in each, to send the bytes that were sent without
// printing them.
func SecretSpans(text string) [][2]int {
	if !MayHoldSecret(text) {
		return nil
	}
	if strings.IndexByte(text, 0) >= 0 {
		if _, wide := detectWide(text); wide {
			return nil
		}
	}
	var sc scanner
	sc.s = text
	sc.spans, sc.frames = sc.spanRoom[:0], sc.frameRoom[:0]
	sc.run()
	var out [][2]int
	for _, sp := range sc.ordered() {
		out = append(out, [2]int{sp.start, sp.end})
	}
	return out
}

// isURLScheme: the colon at k starts "://", not a separator.
func isURLScheme(s string, k int) bool { return strings.HasPrefix(s[k:], "://") }

// nameStart: a name may start at i (a letter, a digit, _, or an escape).
func nameStart(s string, i int) bool { return nameByteLen(s, i) > 0 }

// nameEnd is the end of the name that starts at i.
func nameEnd(s string, i int) int {
	for n := nameByteLen(s, i); n > 0; n = nameByteLen(s, i) {
		i += n
	}
	return i
}

// nameByteLen is the length of the name character at i: 1 for a letter, digit, _, -,
// . or +; 3 for a percent escape, 6 for a \u escape; 0 for anything else.
func nameByteLen(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case isAlnum(c), c == '_', c == '-', c == '.', c == '+':
		return 1
	case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
		return 3
	case c == '\\' && i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
		return 6
	}
	return 0
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// decodeName is a name as it is meant: JSON escapes, percent escapes and form
// pluses decoded.
func decodeName(raw string) string {
	if !strings.ContainsAny(raw, `\%+`) {
		return raw
	}
	if strings.Contains(raw, `\`) {
		if text, ok := unescapeJSON(raw); ok {
			raw = text
		}
	}
	if name, err := url.QueryUnescape(raw); err == nil {
		return name
	}
	return raw
}

// unescapeJSON decodes the text of a JSON string (without its quotes), or of a Go
// quoted string (reports quote bodies that are not JSON with %q); ok is false when
// it is neither.
func unescapeJSON(raw string) (string, bool) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			b.WriteByte(raw[i])
		case '\'':
			b.WriteByte('\'')
		case 'a':
			b.WriteByte('\a')
		case 'v':
			b.WriteByte('\v')
		case 'x':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", false
			}
			v, _ := strconv.ParseUint(raw[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
		case 'U':
			if i+8 >= len(raw) {
				return "", false
			}
			r, err := strconv.ParseUint(raw[i+1:i+9], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(r))
			i += 8
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(raw) {
				return "", false
			}
			r, err := strconv.ParseUint(raw[i+1:i+5], 16, 32)
			if err != nil {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(rune(r)) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2, err := strconv.ParseUint(raw[i+3:i+7], 16, 32); err == nil {
					if p := utf16.DecodeRune(rune(r), rune(r2)); p != utf8.RuneError {
						b.WriteRune(p)
						i += 6
						continue
					}
				}
			}
			b.WriteRune(rune(r))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// escapeJSON writes text as the inside of a JSON string: '"', '\\' and control
// characters escaped, every other byte as it is.
func escapeJSON(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 8)
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lastArrayString: the array's last element is a string that is SecretKey's (a loc
// ending in a secret's name).
func lastArrayString(arr string, secret func(string) bool) bool {
	arr = strings.TrimRight(arr, " \t\r\n")
	if !strings.HasSuffix(arr, "]") {
		return false
	}
	arr = strings.TrimRight(arr[:len(arr)-1], " \t\r\n")
	if !strings.HasSuffix(arr, `"`) {
		return false
	}
	body := arr[:len(arr)-1]
	for j := len(body) - 1; j >= 0; j-- {
		if body[j] != '"' {
			continue
		}
		bs := 0
		for k := j - 1; k >= 0 && body[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return secret(decodeName(body[j+1:]))
		}
	}
	return false
}

// singleQuotedEnd is the end of a Python string whose text starts at i.
func singleQuotedEnd(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			return i + 1
		}
	}
	return len(s)
}

// JSONValueEnd is the end of the JSON value that starts at v: a string, a balanced
// object or array (to the end of the text if it is cut), or a bare scalar.
func JSONValueEnd(s string, v int) int {
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
