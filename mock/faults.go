package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Connection faults: what a rule can do to the connection instead of answering.
const (
	// ConnReset resets the connection (TCP RST) before anything is answered.
	ConnReset = "reset"
	// ConnCloseAfterHeaders sends the status line and headers, then closes.
	ConnCloseAfterHeaders = "close-after-headers"
	// ConnTruncate sends the headers and half of the body, then closes.
	ConnTruncate = "truncate"
)

// FaultHeader asks for a fault on one request: a documented error status (404, 422,
// 500) or a connection fault name. Prism's "Prefer: code=500" works too.
const FaultHeader = "X-Verbex-Mock-Fault"

// ErrFaultRule wraps every reason a fault rule is refused.
var ErrFaultRule = errors.New("mock: invalid fault rule")

// FaultRule is a scripted answer: when a request to /v1/phone-numbers/{id} matches,
// the fake answers with Status (and Body/Headers) after Delay, or breaks the connection,
// instead of what the real service would do. A rule with only a Delay adds latency and
// lets the request through.
//
// Precedence: of the rules that match a request, the one with the highest Priority
// fires, and among equal priorities the one added last. A rule that matches but does
// not fire (still within After, or its Probability said no) passes the request on to the
// next. One rule at most answers a request.
type FaultRule struct {
	// ID is assigned when the rule is added ("f1", "f2", …, per session).
	ID string `json:"id,omitempty"`
	// Name is free text for reports and the journal.
	Name  string     `json:"name,omitempty"`
	Match FaultMatch `json:"match,omitempty"`

	// Status answers with this status. 404, 422 and 500 get a realistic body that
	// matches the document when Body is empty.
	Status int `json:"status,omitempty"`
	// Body replaces the answer's body (JSON).
	Body json.RawMessage `json:"body,omitempty"`
	// RawBody sends these bytes as they are (a truncated or non-JSON body, an HTML
	// error page from a proxy); unless they are JSON on the document it needs
	// OffDocument.
	RawBody string `json:"raw_body,omitempty"`
	// Headers are added to the answer.
	Headers map[string]string `json:"headers,omitempty"`
	// Delay waits before answering (or before passing the request on):
	// 250 * time.Millisecond in Go, "250ms" (or 250, in milliseconds) in JSON and YAML.
	Delay time.Duration `json:"delay,omitempty"`
	// Connection breaks the connection instead: reset, close-after-headers, truncate.
	Connection string `json:"connection,omitempty"`

	// Times lets the rule fire this many times, then it expires. 0 means no limit.
	Times int `json:"times,omitempty"`
	// After lets the first After matching requests through before the rule fires.
	After int `json:"after,omitempty"`
	// Probability fires the rule for this share of matching requests (0 < p ≤ 1),
	// drawn from the server's seed, so a run repeats itself. 0 means always.
	Probability float64 `json:"probability,omitempty"`
	// Priority orders matching rules, highest first.
	Priority int `json:"priority,omitempty"`
	// OffDocument must be set for an answer the document does not allow (another
	// status, or a body off its schema), so that nobody sends one by mistake.
	OffDocument bool `json:"off_document,omitempty"`

	src *faultSource // where ParseFaultFile read it; nil for rules built in Go
}

// FaultMatch says which requests a rule applies to. Empty fields match anything.
type FaultMatch struct {
	// Method matches the request method exactly (case-insensitive).
	Method string `json:"method,omitempty"`
	// PhoneNumberID matches the path's id exactly or as a glob (path.Match: *, ?, [..]).
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	// Body matches top-level fields of a JSON body: a value must be equal, or a
	// matcher: {"$absent": true}, {"$any": true}, {"$exact": …}, {"$present": true},
	// {"$regex": "…"}, {"$type": "string"}.
	Body map[string]any `json:"body,omitempty"`
	// Headers match request headers exactly or as a glob; "" matches presence.
	Headers map[string]string `json:"headers,omitempty"`
}

// FaultStatus is a rule with how it has been used, as GET /__admin/faults lists it.
type FaultStatus struct {
	FaultRule
	// Matched counts requests that matched; Fired counts those it answered.
	Matched int `json:"matched"`
	Fired   int `json:"fired"`
	// Remaining is how many more times it may fire; nil when unlimited.
	Remaining *int `json:"remaining"`

	seq int // the order rules were added in
}

// Duration is time.Duration, kept as a name for code written as
// Delay: mock.Duration(…); FaultRule.Delay takes any time.Duration.
type Duration = time.Duration

// parseDelay reads a delay as JSON or YAML give it: "250ms", or a number of
// milliseconds.
func parseDelay(v any) (time.Duration, error) {
	var d time.Duration
	switch v := v.(type) {
	case float64:
		d = time.Duration(v * float64(time.Millisecond))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("delay %q: %w", v, err)
		}
		d = p
	default:
		return 0, fmt.Errorf("delay: want a duration such as \"250ms\", got %v", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("delay: negative")
	}
	return d, nil
}

// delayText is a delay in JSON: written as "250ms", read as that or 250 (ms).
type delayText time.Duration

func (d delayText) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *delayText) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p, err := parseDelay(v)
	*d = delayText(p)
	return err
}

// ruleValues is FaultRule without its methods; ruleJSON is its JSON form, whose
// Delay (depth 0) hides the embedded one.
type (
	ruleValues FaultRule
	ruleJSON   struct {
		ruleValues
		Delay delayText `json:"delay,omitempty"`
	}
	statusJSON struct {
		ruleJSON
		Matched   int  `json:"matched"`
		Fired     int  `json:"fired"`
		Remaining *int `json:"remaining"`
	}
)

func wireRule(r FaultRule) ruleJSON { return ruleJSON{ruleValues(r), delayText(r.Delay)} }

func (w ruleJSON) rule() FaultRule {
	r := FaultRule(w.ruleValues)
	r.Delay = time.Duration(w.Delay)
	return r
}

// MarshalJSON writes the rule with its delay as text ("250ms").
func (r FaultRule) MarshalJSON() ([]byte, error) { return json.Marshal(wireRule(r)) }

// UnmarshalJSON reads a rule, its delay as "250ms" or 250 (milliseconds).
func (r *FaultRule) UnmarshalJSON(b []byte) error {
	var w ruleJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = w.rule()
	return nil
}

// MarshalJSON writes the rule and its counters (FaultRule's would drop them).
func (st FaultStatus) MarshalJSON() ([]byte, error) {
	return json.Marshal(statusJSON{wireRule(st.FaultRule), st.Matched, st.Fired, st.Remaining})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (st *FaultStatus) UnmarshalJSON(b []byte) error {
	var w statusJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*st = FaultStatus{FaultRule: w.rule(), Matched: w.Matched, Fired: w.Fired, Remaining: w.Remaining}
	return nil
}

// checkedRule is a rule as checkFault accepted it: its answer body rendered and its
// matchers compiled, once, when it is added.
type checkedRule struct {
	rule FaultRule
	body []byte // the answer body; nil when it is rendered per request (404, 422, 500)
	when matcher
	size int64 // what keeping it costs, for the state budget
}

// fault is a rule added to a session, with its counters. Guarded by session.mu.
type fault struct {
	FaultRule
	size    int64
	seq     int
	body    []byte
	when    matcher
	matched int
	fired   int
	rng     *rand.Rand
}

func newFault(c checkedRule, seq int, seed uint64) *fault {
	c.rule.ID = "f" + strconv.Itoa(seq)
	return &fault{FaultRule: c.rule, size: c.size, seq: seq, body: c.body, when: c.when, rng: rand.New(rand.NewPCG(seed, uint64(seq)))}
}

func (f *fault) status() FaultStatus {
	st := FaultStatus{FaultRule: f.FaultRule, Matched: f.matched, Fired: f.fired, seq: f.seq}
	if f.Times > 0 {
		left := max(f.Times-f.fired, 0)
		st.Remaining = &left
	}
	return st
}

// ruleSize is what a rule costs to keep, roughly: its bodies, headers and matchers.
func ruleSize(r FaultRule) int {
	n := len(r.Name) + len(r.Body) + len(r.RawBody) + len(r.Match.Method) + len(r.Match.PhoneNumberID)
	for k, v := range r.Headers {
		n += len(k) + len(v)
	}
	for k, v := range r.Match.Headers {
		n += len(k) + len(v)
	}
	if len(r.Match.Body) > 0 {
		b, _ := json.Marshal(r.Match.Body)
		n += len(b)
	}
	return n
}

// ErrTooManyRules is a session that holds as many fault rules as it may.
var ErrTooManyRules = errors.New("mock: too many fault rules in the session")

// Methods a rule may match; anything else is a typo.
var ruleMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

// checkShape checks what a rule needs no document for and compiles its matchers.
// Errors carry the field (a *fieldProblem), for messages that name its line.
func checkShape(r FaultRule) (matcher, error) {
	switch {
	case r.Times < 0:
		return matcher{}, problem("times", "%d is negative; want 0 (no limit) or more", r.Times)
	case r.After < 0:
		return matcher{}, problem("after", "%d is negative; want 0 or more", r.After)
	case r.Probability < 0 || r.Probability > 1:
		return matcher{}, problem("probability", "%v is not in (0, 1]", r.Probability)
	case r.Status != 0 && (r.Status < 100 || r.Status > 599):
		return matcher{}, problem("status", "%d is not an HTTP status", r.Status)
	}
	when, err := compileMatch(r.Match)
	if err != nil {
		return matcher{}, err
	}
	switch r.Connection {
	case "", ConnReset, ConnCloseAfterHeaders, ConnTruncate:
	default:
		return matcher{}, problem("connection", "%q is not a connection fault%s", r.Connection, didYouMean(r.Connection, []string{ConnReset, ConnCloseAfterHeaders, ConnTruncate}))
	}
	switch {
	case r.Body != nil && r.RawBody != "":
		return matcher{}, problem("raw_body", "give body or raw_body, not both")
	case r.RawBody != "" && r.Status == 0:
		return matcher{}, problem("raw_body", "needs a status")
	case r.Connection == ConnReset && (r.Status != 0 || r.Body != nil):
		return matcher{}, problem("connection", "%q sends nothing; drop status and body", ConnReset)
	case r.Status == 0 && r.Connection != ConnReset && (r.Body != nil || r.Connection != "" || len(r.Headers) > 0):
		return matcher{}, problem("status", "missing; body, headers and connection need a status")
	case r.Status == 0 && r.Connection == "" && r.Delay == 0:
		return matcher{}, problem("", "a rule needs a status, a connection fault or a delay")
	}
	return when, nil
}

// checkFault validates a rule against the document, renders its answer body and
// compiles its matchers. Errors wrap ErrFaultRule and a *fieldProblem naming the field.
func (s *Server) checkFault(r FaultRule) (checkedRule, error) {
	bad := func(field, format string, a ...any) (checkedRule, error) {
		return checkedRule{}, fmt.Errorf("%w: %w", ErrFaultRule, problem(field, format, a...))
	}
	if size := ruleSize(r); size > s.opts.MaxFaultRuleBytes {
		return bad("", "the rule is %d bytes (body, raw_body, headers and matchers); at most %d", size, s.opts.MaxFaultRuleBytes)
	}
	when, err := checkShape(r)
	if err != nil {
		return checkedRule{}, fmt.Errorf("%w: %w", ErrFaultRule, err)
	}
	if r.Status != 0 && !r.OffDocument && !s.doc.Documents(r.Status) {
		// One message with the one way that works, rather than a refusal per step.
		return bad("status", "%d is not a status the document lists (%s): set off_document: true, and give the body the client should get in body (JSON) or raw_body (any bytes); with neither the body is empty", r.Status, s.doc.StatusList())
	}
	c := checkedRule{rule: r, when: when, size: int64(ruleSize(r)) + 256}
	if r.RawBody != "" {
		if !r.OffDocument {
			h := http.Header{"Content-Type": {contentJSON}}
			if ct := r.Headers["Content-Type"]; ct != "" {
				h.Set("Content-Type", ct)
			}
			if problems := s.doc.CheckResponse(spec.Method, "/v1/phone-numbers/x", r.Status, h, []byte(r.RawBody)); len(problems) > 0 {
				return bad("raw_body", "status %d with this raw_body is off the document (%s); set off_document: true if that is what you want", r.Status, problems[0].Message)
			}
		}
		c.body = []byte(r.RawBody)
		return c, nil
	}
	if r.Status == 0 {
		return c, nil // a reset, or latency only
	}
	if r.Body == nil {
		if !hasDefaultBody(r.Status) && !r.OffDocument {
			return bad("status", "%d has no default body; give a body (the document's shape for it), or set off_document: true for an answer of your own", r.Status)
		}
		return c, nil // the default is rendered when it fires, from the request
	}
	v, err := pyjson.Decode(r.Body)
	if err != nil {
		return bad("body", "not JSON: %v", err)
	}
	if c.body, err = pyjson.Append(nil, v); err != nil {
		return bad("body", "%v", err)
	}
	if !r.OffDocument {
		h := http.Header{"Content-Type": {contentJSON}}
		if problems := s.doc.CheckResponse(spec.Method, "/v1/phone-numbers/x", r.Status, h, c.body); len(problems) > 0 {
			return bad("body", "with status %d this body is off the document (%s); set off_document: true if that is what you want", r.Status, problems[0].Message)
		}
	}
	return c, nil
}

// requestFault turns the per-request header into a one-off rule, or explains why it
// cannot.
func (s *Server) requestFault(h http.Header) (*fault, error) {
	v := strings.TrimSpace(get(h, FaultHeader))
	// The rule is named after the header that asked for it (the journal and the page
	// show it), and so are the refusals.
	header, asked := FaultHeader, FaultHeader+": "+v
	if prefer := get(h, hdrPrefer); v == "" && prefer != "" {
		for _, part := range strings.Split(prefer, ",") {
			if code, ok := strings.CutPrefix(strings.TrimSpace(part), "code="); ok {
				v = code
				header, asked = "Prefer", "Prefer: code="+code
			}
		}
	}
	if v == "" {
		return nil, nil
	}
	r := FaultRule{Name: asked}
	switch v {
	case ConnReset, ConnCloseAfterHeaders, ConnTruncate:
		r.Connection = v
		if v != ConnReset {
			r.Status = http.StatusInternalServerError
		}
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a status or a connection fault (%s, %s, %s)", header, v, ConnReset, ConnCloseAfterHeaders, ConnTruncate)
		}
		if n == http.StatusOK || !s.doc.Documents(n) {
			return nil, fmt.Errorf("%s: %d is not an error status the document lists (%s); add a fault rule with off_document: true for anything else", header, n, s.doc.StatusList())
		}
		r.Status = n
	}
	c, err := s.checkFault(r)
	if err != nil {
		return nil, err
	}
	return &fault{FaultRule: c.rule, body: c.body, when: c.when}, nil
}
