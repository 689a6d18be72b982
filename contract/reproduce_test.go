package contract_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/internal/capture"
)

// oddBody: a body with NaN or Infinity, a lone surrogate, bytes that are not UTF-8,
// a NUL, or a secret: what a reproduction line must carry byte for byte.
func oddBody(b []byte) string {
	switch {
	case bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Infinity")):
		return "NaN"
	case bytes.Contains(b, []byte("\\ud8")) || bytes.Contains(b, []byte("\\udc")) || loneSurrogate(b):
		return "surrogate"
	case bytes.IndexByte(b, 0) >= 0:
		return "NUL"
	case !utf8.Valid(b):
		return "invalid UTF-8"
	case bytes.Contains(b, []byte("password")) || bytes.Contains(b, []byte("auth_token")):
		return "secret"
	}
	return ""
}

// loneSurrogate: the 3-byte form of U+D800..U+DFFF, as Python's surrogatepass reads it.
func loneSurrogate(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xED && b[i+1] >= 0xA0 && b[i+1] <= 0xBF {
			return true
		}
	}
	return false
}

// TestEveryReproduceLineSendsWhatTheRunnerSent: against a fake that fails every
// update whose body is odd (oddBody), every curl line of the report, scenario and
// generated, run through sh, reaches the target as one of the requests the runner
// sent, byte for byte: request line, every header, the body.
func TestEveryReproduceLineSendsWhatTheRunnerSent(t *testing.T) {
	t.Parallel()
	const token = "tok-Rq7%s'v"
	fake := newFake(t)
	flawed := wrap(func(r *http.Request, body []byte) answer {
		if isOp(r) && oddBody(body) != "" {
			return sendJSON(http.StatusTeapot, `{"detail":"odd"}`)
		}
		return through(fake, r, body)
	})
	srv, rec := capture.NewServer(t, flawed)
	rep, err := contract.Run(context.Background(), contract.Config{Target: srv.URL, States: "/__admin/states", Token: token, Parallel: 4, Oracle: newOracle(t), Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	sent := rec.Take()
	type line struct{ where, curl, body string }
	var lines []line
	for _, s := range rep.Scenarios {
		for _, st := range s.Steps {
			if len(st.Failures) > 0 {
				lines = append(lines, line{"scenario " + s.Name, st.Curl, st.RequestBody})
			}
		}
	}
	for _, c := range rep.Generated.Cases {
		for _, st := range c.Steps {
			if c.Status == contract.StatusFailed && st.Curl != "" {
				lines = append(lines, line{"case " + c.ID + " " + c.Category, st.Curl, st.Body})
			}
		}
	}
	kinds := map[string]int{}
	for _, l := range lines {
		if l.curl == "" {
			t.Errorf("%s: a failed step without a curl line", l.where)
			continue
		}
		if strings.Contains(l.curl, token) || strings.Contains(l.curl, "REDACTED") {
			t.Errorf("%s: the line shows a secret: %s", l.where, l.curl)
		}
		rec.Take()
		candidates := sameTarget(sent, l.curl, srv.URL)
		env := map[string]string{"VERBEX_API_KEY": token}
		for _, c := range candidates {
			if e := secretsOf(l.curl, c.Body, token); e != nil {
				env = e
				break
			}
		}
		capture.RunLine(t, l.curl, env)
		got := rec.Take()
		if len(got) != 1 {
			t.Fatalf("%s: the line sent %d requests", l.where, len(got))
		}
		kinds[oddBody(got[0].Body)]++
		closest := "no request of the runner's had this method and target"
		for _, c := range candidates {
			if closest = capture.Diff(c, got[0]); closest == "" {
				break
			}
		}
		if closest != "" {
			t.Errorf("%s: the line sends another request than the runner's: %s\nline: %.800s", l.where, closest, l.curl)
		}
	}
	for _, k := range []string{"NaN", "surrogate", "invalid UTF-8", "NUL", "secret"} {
		if kinds[k] == 0 {
			t.Errorf("no reported request had a body with %s (%v); the test shows less than it says", k, kinds)
		}
	}
	t.Logf("%d lines replayed: %v", len(lines), kinds)
}

var (
	curlTarget  = regexp.MustCompile(`curl .* -X ([A-Z]+) '([^']*)'`)
	curlSession = regexp.MustCompile(`-H 'X-Verbex-Mock-Session: ([^']*)'`)
	printfPart  = regexp.MustCompile(`printf '([^']*)'((?: "\$[A-Z0-9_]+")*) \| curl`)
)

// sameTarget are the requests sent with the line's method, target and session.
func sameTarget(sent []capture.Request, curl, base string) []capture.Request {
	m := curlTarget.FindStringSubmatch(curl)
	if m == nil {
		return nil
	}
	session := ""
	if sm := curlSession.FindStringSubmatch(curl); sm != nil {
		session = sm[1]
	}
	var out []capture.Request
	for _, s := range sent {
		if s.Method == m[1] && base+s.Target == m[2] && s.Header.Get("X-Verbex-Mock-Session") == session {
			out = append(out, s)
		}
	}
	return out
}

// secretsOf sets the variables a line reads to the values the runner sent in body
// (nil: the body is not the line's): the line's printf format, read here as printf
// reads it, is matched against the body, each %s taking the bytes between the
// literal parts around it.
func secretsOf(curl string, body []byte, token string) map[string]string {
	env := map[string]string{"VERBEX_API_KEY": token}
	m := printfPart.FindStringSubmatch(curl)
	if m == nil {
		return env
	}
	literals := strings.Split(unprintf(m[1]), "\x00%s\x00")
	names := strings.Fields(strings.NewReplacer(`"$`, "", `"`, "").Replace(m[2]))
	if len(literals) != len(names)+1 || !bytes.HasPrefix(body, []byte(literals[0])) {
		return nil
	}
	rest := body[len(literals[0]):]
	for i, name := range names {
		lit := []byte(literals[i+1])
		end := bytes.Index(rest, lit)
		if i == len(names)-1 {
			if !bytes.HasSuffix(rest, lit) {
				return nil
			}
			end = len(rest) - len(lit)
		}
		if end < 0 {
			return nil
		}
		if v, ok := env[name]; ok && v != string(rest[:end]) {
			return nil // one variable, two values: not this body
		}
		env[name] = string(rest[:end])
		rest = rest[end+len(lit):]
	}
	return env
}

// unprintf is what printf writes for a format of the line's kind (\NNN, \n, \t, \r
// and %% decoded), each %s marked.
func unprintf(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		switch c := format[i]; {
		case c == '\\' && i+3 < len(format) && strings.ContainsRune("0123", rune(format[i+1])):
			n, _ := strconv.ParseUint(format[i+1:i+4], 8, 8)
			b.WriteByte(byte(n))
			i += 3
		case c == '\\' && i+1 < len(format):
			b.WriteByte(map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', '\\': '\\'}[format[i+1]])
			i++
		case c == '%' && i+1 < len(format) && format[i+1] == '%':
			b.WriteByte('%')
			i++
		case c == '%' && i+1 < len(format) && format[i+1] == 's':
			b.WriteString("\x00%s\x00")
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
