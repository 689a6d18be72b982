package contract_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// moreMutants are one-flaw variants written for issue 21 from the request path, layer
// by layer (ids and paths, query, methods, decoding, validation, update semantics,
// rendering, transport, concurrency): what a rewrite of the FastAPI service could
// plausibly get wrong that the first set does not cover. Each is named for its flaw.
func moreMutants() []mutantCase {
	return []mutantCase{
		// Ids and paths.
		{"an id percent-decoded twice", judge.RuleLookup, func(f *mock.Server) http.Handler {
			return rewriteID(f, func(id string) string {
				if d, err := url.PathUnescape(id); err == nil {
					return d
				}
				return id
			})
		}},
		{"an id looked up as sent, not percent-decoded", judge.RuleLookup, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if raw, ok := strings.CutPrefix(r.URL.EscapedPath(), judge.NumberPrefix); ok && isOp(r) && strings.Contains(raw, "%") && !strings.Contains(raw, "/") {
					r = withID(r, raw)
				}
				return through(f, r, body)
			})
		}},
		{"a ;param cut off the id", judge.RuleLookup, func(f *mock.Server) http.Handler {
			return rewriteID(f, func(id string) string { id, _, _ = strings.Cut(id, ";"); return id })
		}},
		{"a .json suffix cut off the id", judge.RuleLookup, func(f *mock.Server) http.Handler {
			return rewriteID(f, func(id string) string { return strings.TrimSuffix(id, ".json") })
		}},
		{"whitespace trimmed off the id", judge.RuleLookup, func(f *mock.Server) http.Handler {
			return rewriteID(f, strings.TrimSpace)
		}},
		{"an encoded slash kept inside the id (not a separator)", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				raw, ok := strings.CutPrefix(r.URL.EscapedPath(), judge.NumberPrefix)
				if ok && strings.Contains(strings.ToUpper(raw), "%2F") {
					return through(f, withID(r, strings.ReplaceAll(strings.ReplaceAll(raw, "%2F", "~"), "%2f", "~")), body)
				}
				return through(f, r, body)
			})
		}},
		{"an id found by its prefix", judge.RuleLookup, func(f *mock.Server) http.Handler {
			var mu sync.Mutex
			seen := map[string][]string{} // session → ids answered 200
			return wrap(func(r *http.Request, body []byte) answer {
				id, ok := strings.CutPrefix(r.URL.Path, judge.NumberPrefix)
				session := r.Header.Get(protocol.SessionHeader)
				if ok && isOp(r) && len(id) >= 8 {
					mu.Lock()
					for _, full := range seen[session] {
						if full != id && strings.HasPrefix(full, id) {
							r = withID(r, full)
						}
					}
					mu.Unlock()
				}
				a := through(f, r, body)
				if ok && a.status == 200 {
					mu.Lock()
					seen[session] = append(seen[session], id)
					mu.Unlock()
				}
				return a
			})
		}},
		// Query.
		{"query parameters merged into the body", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return mutant(f, func(r *http.Request, body []byte) []byte {
				v, ok := object(r, body)
				if !ok || r.URL.RawQuery == "" {
					return body
				}
				for k, vals := range r.URL.Query() {
					v.Set(k, pyjson.StringValue(vals[0]))
				}
				return encodeBody(v)
			}, nil)
		}},
		{"a query string refused with 400", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if isOp(r) && r.URL.RawQuery != "" {
					return sendJSON(400, `{"detail":"Unexpected query parameters"}`)
				}
				return through(f, r, body)
			})
		}},
		// Methods.
		{"HEAD served as a read", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if r.Method == http.MethodHead && spec.IsOperation(http.MethodPatch, r.URL.Path) {
					return readRecord(f, r)
				}
				return through(f, r, body)
			})
		}},
		{"OPTIONS answered 204 by a CORS layer", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if r.Method == http.MethodOptions && spec.IsOperation(http.MethodPatch, r.URL.Path) {
					return answer{http.StatusNoContent, http.Header{"Allow": {"PATCH, OPTIONS"}}, nil}
				}
				return through(f, r, body)
			})
		}},
		{"Allow lists HEAD and OPTIONS too", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == http.StatusMethodNotAllowed {
					a.header.Set("Allow", "PATCH, HEAD, OPTIONS")
				}
			})
		}},
		{"a trailing slash redirected with 308", judge.RuleRouting, func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == http.StatusTemporaryRedirect {
					a.status = http.StatusPermanentRedirect
				}
			})
		}},
		// Decoding.
		{"a charset parameter honoured (latin-1 decoded)", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if cs := charset(r); isOp(r) && jsonCT(r) && (cs == "iso-8859-1" || cs == "latin-1" || cs == "latin1" || cs == "windows-1252") {
					runes := make([]rune, len(body))
					for i, b := range body {
						runes[i] = rune(b)
					}
					return through(f, patchWith(r), []byte(string(runes)))
				}
				return through(f, r, body)
			})
		}},
		{"undecodable text under a non-JSON type read with replacement characters", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			return mutant(f, func(r *http.Request, body []byte) []byte {
				if !jsonCT(r) && !utf8.Valid(body) {
					return bytes.ToValidUTF8(body, []byte("\uFFFD"))
				}
				return body
			}, nil)
		}},
		{"nesting refused past 128 levels (serde's limit)", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if isOp(r) && jsonCT(r) && depth(body) > 128 {
					return sendJSON(400, `{"detail":"There was an error parsing the body"}`)
				}
				return through(f, r, body)
			})
		}},
		{"no nesting limit (a deep body decoded)", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			deepOpen, deepClose := regexp.MustCompile(`\[{16,}`), regexp.MustCompile(`\]{16,}`)
			return mutant(f, func(r *http.Request, body []byte) []byte {
				if jsonCT(r) && depth(body) > pyjson.MaxDepth {
					body = deepOpen.ReplaceAll(body, []byte("[[[[")) // decoded as if shallow
					body = deepClose.ReplaceAll(body, []byte("]]]]"))
				}
				return body
			}, nil)
		}},
		{"a body read into a 64 KiB buffer (the rest dropped)", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			return mutant(f, func(r *http.Request, body []byte) []byte {
				if len(body) > 64<<10 {
					return body[:64<<10]
				}
				return body
			}, nil)
		}},
		{"every content type parsed as JSON", judge.RuleDecoding, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if isOp(r) && r.Header.Get("Content-Type") != "" && !jsonCT(r) {
					r = patchWith(r)
				}
				return through(f, r, body)
			})
		}},
		// Validation.
		{"strings over 1000 characters refused", judge.RuleValidation, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if v, ok := object(r, body); ok && isOp(r) {
					for _, m := range v.Obj {
						if m.Value.Kind == pyjson.String && utf8.RuneCountInString(m.Value.Str) > 1000 {
							loc, _ := pyjson.AppendString(nil, m.Key)
							return sendJSON(422, `{"detail":[{"type":"string_too_long","loc":["body",`+string(loc)+`],"msg":"String should have at most 1000 characters","input":"","ctx":{"max_length":1000}}]}`)
						}
					}
				}
				return through(f, r, body)
			})
		}},
		{"a one-element list taken for its string", judge.RuleValidation, func(f *mock.Server) http.Handler {
			return mutant(f, func(r *http.Request, body []byte) []byte {
				v, ok := object(r, body)
				if !ok {
					return body
				}
				for i, m := range v.Obj {
					if m.Value.Kind == pyjson.Array && len(m.Value.Arr) == 1 && m.Value.Arr[0].Kind == pyjson.String {
						v.Obj[i].Value = m.Value.Arr[0]
					}
				}
				return encodeBody(v)
			}, nil)
		}},
		{"control characters in strings refused", judge.RuleValidation, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				if v, ok := object(r, body); ok && isOp(r) {
					for _, m := range v.Obj {
						if m.Value.Kind == pyjson.String && strings.ContainsFunc(m.Value.Str, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
							return sendJSON(422, `{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, control characters are not allowed","input":""}]}`)
						}
					}
				}
				return through(f, r, body)
			})
		}},
		// Update semantics.
		{"strings stored cut to 255 characters", judge.RuleUpdate, func(f *mock.Server) http.Handler {
			return mapStrings(f, func(s string) string {
				if r := []rune(s); len(r) > 255 {
					return string(r[:255])
				}
				return s
			})
		}},
		{"strings stored in NFC", judge.RuleUpdate, func(f *mock.Server) http.Handler {
			nfc := strings.NewReplacer("e\u0301", "é", "a\u0300", "à", "A\u030a", "Å", "\u212b", "Å", "\u2126", "Ω", "o\u0308", "ö")
			return mapStrings(f, nfc.Replace)
		}},
		{"padding whitespace stripped", judge.RuleUpdate, func(f *mock.Server) http.Handler {
			return mapStrings(f, strings.TrimSpace)
		}},
		{"NUL characters dropped (a text column)", judge.RuleUpdate, func(f *mock.Server) http.Handler {
			return mapStrings(f, func(s string) string { return strings.ReplaceAll(s, "\x00", "") })
		}},
		{"provider in the body applied", judge.RuleUpdate, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				a := through(f, r, body)
				v, ok := object(r, body)
				p, has := v.Get(spec.ProviderField)
				if a.status != 200 || !ok || !has || p.Kind != pyjson.String || f.Document().Provider(p.Str) == nil {
					return a
				}
				rewriteJSON(&a, func(rec *pyjson.Value) { rec.Set(spec.ProviderField, p) })
				return a
			})
		}},
		{"an unknown id created on first sight (upsert)", judge.RuleLookup, func(f *mock.Server) http.Handler {
			var mu sync.Mutex
			seen := map[string]bool{}
			return wrap(func(r *http.Request, body []byte) answer {
				a := through(f, r, body)
				id, _ := strings.CutPrefix(r.URL.Path, judge.NumberPrefix)
				if a.status != http.StatusNotFound || !isOp(r) {
					return a
				}
				session := r.Header.Get(protocol.SessionHeader)
				mu.Lock()
				again := seen[session+" "+id]
				seen[session+" "+id] = true
				mu.Unlock()
				if !again {
					return a
				}
				rec := map[string]any{"_id": id, "provider": "pia", "phone_number": "+14155550199", "friendly_name": nil, "inbound_agent_id": nil, "outbound_agent_id": nil}
				if _, err := f.Session(session).SetState(mock.StatePhoneNumberStored, rec); err != nil {
					return a
				}
				return through(f, r, body)
			})
		}},
		// Stored state.
		{"a 422's valid fields stored anyway (partial write)", judge.RuleStoredState, func(f *mock.Server) http.Handler {
			return wrap(func(r *http.Request, body []byte) answer {
				a := through(f, r, body)
				v, ok := object(r, body)
				if a.status != 422 || !ok || !isOp(r) || readRecord(f, r).status != 200 {
					return a
				}
				var valid []pyjson.Member
				for _, m := range v.Obj {
					if m.Value.Kind == pyjson.String {
						valid = append(valid, m)
					}
				}
				applyEach(f, r, valid)
				return a
			})
		}},
		{"a read right after a write answers the record as before it", judge.RuleStoredState, func(f *mock.Server) http.Handler {
			var mu sync.Mutex
			stale := map[string]answer{} // session and id → the record before the last write
			return wrap(func(r *http.Request, body []byte) answer {
				if !isOp(r) || !jsonCT(r) {
					return through(f, r, body)
				}
				k := r.Header.Get(protocol.SessionHeader) + " " + r.URL.Path
				if string(body) == "{}" {
					mu.Lock()
					old, ok := stale[k]
					delete(stale, k)
					mu.Unlock()
					if ok {
						return old
					}
					return through(f, r, body)
				}
				before := readRecord(f, r)
				a := through(f, r, body)
				if a.status == 200 && before.status == 200 && !bytes.Equal(before.body, a.body) {
					mu.Lock()
					stale[k] = before
					mu.Unlock()
				}
				return a
			})
		}},
		// Rendering and transport.
		{"a 422 typed application/json; charset=utf-8", judge.RuleRendering, func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 422 {
					a.header.Set("Content-Type", "application/json; charset=utf-8")
				}
			})
		}},
		{"answers gzipped whatever the client accepts", judge.RuleRendering, func(f *mock.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := readAll(r)
				a := through(f, r, body)
				var z bytes.Buffer
				zw := gzip.NewWriter(&z)
				_, _ = zw.Write(a.body)
				_ = zw.Close()
				for k, v := range a.header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Length", strconv.Itoa(z.Len()))
				w.WriteHeader(a.status)
				_, _ = w.Write(z.Bytes())
			})
		}},
		{"a Content-Length one more than the body", judge.RuleRendering, func(f *mock.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := readAll(r)
				a := through(f, r, body)
				if !isOp(r) || len(a.body) == 0 || r.Method == http.MethodHead {
					for k, v := range a.header {
						w.Header()[k] = v
					}
					w.WriteHeader(a.status)
					_, _ = w.Write(a.body)
					return
				}
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				a.header.Set("Content-Length", strconv.Itoa(len(a.body)+1))
				a.header.Del("Connection")
				writeRaw(buf, a)
			})
		}},
		// Concurrency.
		{"read-modify-write on numbers of providers other than SIP", judge.RuleConcurrency, func(f *mock.Server) http.Handler {
			loser := concurrentLoser(f)
			return wrap(func(r *http.Request, body []byte) answer {
				if isOp(r) {
					if rec := readRecord(f, r); rec.status == 200 && !bytes.Contains(rec.body, []byte(`"provider":"sip"`)) {
						return through(loser, r, body)
					}
				}
				return through(f, r, body)
			})
		}},
	}
}

// rewriteID passes a request to the operation on with its id (as the server decoded
// it) rewritten.
func rewriteID(f *mock.Server, fn func(id string) string) http.Handler {
	return wrap(func(r *http.Request, body []byte) answer {
		if id, ok := strings.CutPrefix(r.URL.Path, judge.NumberPrefix); ok && spec.IsOperation(http.MethodPatch, r.URL.Path) {
			if to := fn(id); to != id && to != "" && !strings.Contains(to, "/") {
				r = withID(r, to)
			}
		}
		return through(f, r, body)
	})
}

func withID(r *http.Request, id string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = judge.NumberPrefix+id, ""
	return r2
}

// mapStrings changes every string value of an update's object body before the fake
// applies it, as a store or a model layer would.
func mapStrings(f *mock.Server, fn func(string) string) http.Handler {
	return mutant(f, func(r *http.Request, body []byte) []byte {
		v, ok := object(r, body)
		if !ok {
			return body
		}
		changed := false
		for i, m := range v.Obj {
			if m.Value.Kind == pyjson.String {
				if s := fn(m.Value.Str); s != m.Value.Str {
					v.Obj[i].Value, changed = pyjson.StringValue(s), true
				}
			}
		}
		if !changed {
			return body
		}
		return encodeBody(v)
	}, nil)
}

func charset(r *http.Request) string {
	_, params, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	for _, p := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "charset") {
			return strings.ToLower(strings.Trim(v, `"`))
		}
	}
	return ""
}

// depth is how deep arrays and objects nest in a JSON text, strings skipped.
func depth(b []byte) int {
	d, most, in, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case in && esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in:
		case c == '[' || c == '{':
			d++
			most = max(most, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return most
}

func readAll(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

// writeRaw writes an answer on a hijacked connection, headers as they are.
func writeRaw(w *bufio.ReadWriter, a answer) {
	w.WriteString("HTTP/1.1 " + strconv.Itoa(a.status) + " " + http.StatusText(a.status) + "\r\n")
	_ = a.header.Write(w)
	w.WriteString("\r\n")
	w.Write(a.body)
	_ = w.Flush()
}

// TestBodyLimitIsANote: a target that refuses bodies far below the fake's limit (a
// 413 over 64 KiB, a proxy's setting) is told in the report, as a note the fake
// cannot know, not failed and not left unsaid.
func TestBodyLimitIsANote(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	limited := wrap(func(r *http.Request, body []byte) answer {
		if isOp(r) && len(body) > 64<<10 {
			return sendJSON(http.StatusRequestEntityTooLarge, `{"error":"payload_too_large","message":"The body is too large."}`)
		}
		return through(fake, r, body)
	})
	rep := defaultRun(t, limited, 1)
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	if !rep.OK() || rep.Generated.Info == 0 {
		t.Fatalf("want a passing run with notes:\n%s", out.String())
	}
	for _, c := range rep.Generated.Cases {
		if c.Status == contract.StatusInfo && !(strings.Contains(c.Reason, "413") && strings.Contains(c.Reason, "cannot know")) {
			t.Errorf("case %s: %s", c.ID, c.Reason)
		}
	}
	if !strings.Contains(out.String(), "cannot know") {
		t.Errorf("the text report does not say what the fake cannot know:\n%s", out.String())
	}
}
