package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// maxGlob bounds a phone_number_id or header glob. Globs are compiled to Go regular
// expressions, which match in time linear in the input, so a long pattern or a long
// id costs microseconds, not seconds.
const maxGlob = 1024

// maxMatchWork bounds what matching one request against a session's rules may cost,
// in pattern bytes × input bytes (a glob against the id or a header, a body matcher
// against the body): linear-time matching still costs pattern × input, so 30 rules
// of 1 KiB against a 30,000-byte id would take seconds. A rule whose work does not
// fit in what is left is not tried (it does not match); cheaper rules after it are.
const maxMatchWork = 16 << 20

// matcher is a rule's FaultMatch, compiled once when the rule is added, and never
// changed after: requests match it outside the session's lock.
type matcher struct {
	method  string         // upper case; "" matches any
	id      *regexp.Regexp // nil matches any
	idSize  int            // the glob's length
	headers []headerMatch
	body    []bodyMatch
}

type headerMatch struct {
	name  string         // canonical
	value *regexp.Regexp // nil matches presence
	size  int            // the glob's length
}

type bodyMatch struct {
	key  string
	want *match.Expectation
	size int // the expectation's length as JSON
}

// compileMatch checks a FaultMatch and compiles it; errors name the field.
func compileMatch(m FaultMatch) (matcher, error) {
	var c matcher
	if m.Method != "" {
		c.method = strings.ToUpper(m.Method)
		if !slices.Contains(ruleMethods, c.method) {
			return c, problem("match.method", "%q is not a method%s", m.Method, didYouMean(c.method, ruleMethods))
		}
	}
	if m.PhoneNumberID != "" {
		re, err := compileGlob(m.PhoneNumberID)
		if err != nil {
			return c, problem("match.phone_number_id", "%.80q: %w", m.PhoneNumberID, err)
		}
		c.id, c.idSize = re, len(m.PhoneNumberID)
	}
	for _, k := range sortedKeys(m.Headers) {
		h := headerMatch{name: http.CanonicalHeaderKey(k)}
		if v := m.Headers[k]; v != "" {
			re, err := compileGlob(v)
			if err != nil {
				return c, problem("match.headers."+k, "%.80q: %w", v, err)
			}
			h.value, h.size = re, len(v)
		}
		c.headers = append(c.headers, h)
	}
	for _, k := range sortedKeys(m.Body) {
		raw, err := json.Marshal(m.Body[k])
		if err != nil {
			return c, &fieldProblem{field: "match.body." + k, err: err}
		}
		v, err := pyjson.Decode(raw)
		if err != nil {
			return c, &fieldProblem{field: "match.body." + k, err: err}
		}
		want, err := match.Compile(v)
		if err != nil {
			return c, &fieldProblem{field: "match.body." + k, err: err}
		}
		c.body = append(c.body, bodyMatch{key: k, want: want, size: len(raw)})
	}
	return c, nil
}

// compileGlob turns a path.Match pattern (*, ?, [class], \\ escapes; * and ? do not
// cross "/") into an anchored regular expression.
func compileGlob(glob string) (*regexp.Regexp, error) {
	if len(glob) > maxGlob {
		return nil, fmt.Errorf("%d bytes; a glob has at most %d", len(glob), maxGlob)
	}
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(`[^/]*`)
		case '?':
			b.WriteString(`[^/]`)
		case '\\':
			if i+1 == len(glob) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			class := glob[i+1 : i+1+end]
			if class == "" || class == "^" {
				return nil, fmt.Errorf("empty character class")
			}
			b.WriteByte('[')
			if class[0] == '^' {
				b.WriteByte('^')
				class = class[1:]
			}
			for j := 0; j < len(class); j++ {
				if class[j] == '-' && j > 0 && j < len(class)-1 {
					b.WriteByte('-')
					continue
				}
				if class[j] == '\\' && j+1 < len(class) {
					j++
				}
				b.WriteString(regexp.QuoteMeta(class[j : j+1]))
			}
			b.WriteByte(']')
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// faultRequest is what rules match against. The body is the exchange's, decoded once
// before the session's lock is taken (null when it is not JSON).
type faultRequest struct {
	method   string
	id       string
	header   http.Header
	body     pyjson.Value
	bodySize int // the raw body's length, for the work of body matchers
}

// work is what matching m against fr may cost, at most (see maxMatchWork).
func (m *matcher) work(fr *faultRequest) int64 {
	w := int64(1)
	if m.id != nil {
		w += int64(m.idSize) * int64(len(fr.id)+1)
	}
	for _, h := range m.headers {
		if h.value != nil {
			n := 0
			for _, v := range fr.header[h.name] {
				n += len(v) + 2
			}
			w += int64(h.size) * int64(n+1)
		}
	}
	for _, b := range m.body {
		w += int64(b.size) * int64(fr.bodySize+1)
	}
	return w
}

func (m *matcher) matches(fr *faultRequest) bool {
	if m.method != "" && m.method != strings.ToUpper(fr.method) {
		return false
	}
	if m.id != nil && !m.id.MatchString(fr.id) {
		return false
	}
	for _, h := range m.headers {
		got, present := fr.header[h.name]
		if !present || (h.value != nil && !h.value.MatchString(strings.Join(got, ", "))) {
			return false
		}
	}
	if len(m.body) == 0 {
		return true
	}
	for _, bm := range m.body {
		var got *pyjson.Value
		if v, present := fr.body.Get(bm.key); present {
			got = &v
		}
		if !bm.want.Matches(got) {
			return false
		}
	}
	return true
}

// insertSorted adds f to rules kept in firing order: highest priority first, and the
// newest first among equals. Sorting once here keeps every request's pick a plain scan.
func insertSorted(rules []*fault, f *fault) []*fault {
	i, _ := slices.BinarySearchFunc(rules, f, func(a, b *fault) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		return b.seq - a.seq
	})
	return slices.Insert(rules, i, f)
}

// matchAll decides which rules match a request, within maxMatchWork; it runs outside
// the session's lock on a snapshot of its rules (the slice is never written in place,
// and a rule's matcher never changes). skipped counts the rules left untried.
func matchAll(rules []*fault, fr *faultRequest) (matched []bool, skipped int) {
	matched = make([]bool, len(rules))
	left := int64(maxMatchWork)
	for i, f := range rules {
		w := f.when.work(fr)
		if w > left {
			skipped++
			continue
		}
		left -= w
		matched[i] = f.when.matches(fr)
	}
	return matched, skipped
}

// pick finds the rule that answers a request among those matchAll found matching in
// snapshot, counting matches and fires; nil when none does. Rules that expired stay
// listed with remaining 0; rules deleted since the snapshot are passed over. The
// caller holds the session's lock; the returned copy can be used after it is released.
func pick(rules, snapshot []*fault, matched []bool) *fault {
	var current map[*fault]bool // only when the rules changed since the snapshot
	if len(rules) != len(snapshot) || len(rules) > 0 && &rules[0] != &snapshot[0] {
		current = make(map[*fault]bool, len(rules))
		for _, f := range rules {
			current[f] = true
		}
	}
	for i, f := range snapshot {
		if !matched[i] || current != nil && !current[f] {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.matched++
		if f.matched <= f.After {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && f.rng.Float64() >= f.Probability {
			continue
		}
		f.fired++
		c := *f
		return &c
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
