package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pb33f/go-yaml"

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
	// Delay waits before answering (or before passing the request on), e.g. "250ms".
	Delay Duration `json:"delay,omitempty"`
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
}

// FaultMatch says which requests a rule applies to. Empty fields match anything.
type FaultMatch struct {
	// Method matches the request method exactly (case-insensitive).
	Method string `json:"method,omitempty"`
	// PhoneNumberID matches the path's id exactly or as a glob (path.Match: *, ?, [..]).
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	// Body matches top-level fields of a JSON body: a value must be equal, and the
	// special values {"$present": true} and {"$absent": true} test presence.
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
}

// Duration is a time.Duration written as "250ms" in JSON and YAML (a bare number
// means milliseconds).
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "250ms" or 250 (milliseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return d.set(v)
}

func (d *Duration) set(v any) error {
	switch v := v.(type) {
	case float64:
		*d = Duration(time.Duration(v * float64(time.Millisecond)))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("delay %q: %w", v, err)
		}
		*d = Duration(p)
	default:
		return fmt.Errorf("delay: want a duration such as \"250ms\", got %v", v)
	}
	if *d < 0 {
		return fmt.Errorf("delay: negative")
	}
	return nil
}

// ParseFaults reads rules from YAML or JSON: a list of rules, or {"faults": [...]}.
// Unknown keys are refused, so a typo never silently widens a rule.
func ParseFaults(data []byte) ([]FaultRule, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFaultRule, err)
	}
	if m, ok := doc.(map[string]any); ok {
		list, found := m["faults"]
		if !found || len(m) != 1 {
			return nil, fmt.Errorf("%w: want a list of rules or {\"faults\": [...]}", ErrFaultRule)
		}
		doc = list
	}
	if doc == nil {
		return nil, nil
	}
	// Through JSON, so that bodies given as YAML mappings become JSON bodies.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFaultRule, err)
	}
	var rules []FaultRule
	if err := decodeStrict(bytes.NewReader(b), &rules); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFaultRule, err)
	}
	return rules, nil
}

// fault is a rule added to a session, with its counters. Guarded by session.mu.
type fault struct {
	FaultRule
	seq     int
	body    []byte // the answer body, rendered and checked when added
	matched int
	fired   int
	rng     *rand.Rand
}

func (f *fault) status() FaultStatus {
	st := FaultStatus{FaultRule: f.FaultRule, Matched: f.matched, Fired: f.fired}
	if f.Times > 0 {
		left := max(f.Times-f.fired, 0)
		st.Remaining = &left
	}
	return st
}

// checkFault validates a rule against the document and renders its answer body.
func (s *Server) checkFault(r FaultRule) ([]byte, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrFaultRule, fmt.Sprintf(format, a...))
	}
	if r.Times < 0 || r.After < 0 {
		return nil, bad("times and after must not be negative")
	}
	if r.Probability < 0 || r.Probability > 1 {
		return nil, bad("probability %v is not in (0, 1]", r.Probability)
	}
	if r.Match.PhoneNumberID != "" {
		if _, err := path.Match(r.Match.PhoneNumberID, ""); err != nil {
			return nil, bad("match.phone_number_id %q: %v", r.Match.PhoneNumberID, err)
		}
	}
	for k, v := range r.Match.Headers {
		if _, err := path.Match(v, ""); err != nil {
			return nil, bad("match.headers[%s] %q: %v", k, v, err)
		}
	}
	switch r.Connection {
	case "", ConnReset, ConnCloseAfterHeaders, ConnTruncate:
	default:
		return nil, bad("connection %q: want %s, %s or %s", r.Connection, ConnReset, ConnCloseAfterHeaders, ConnTruncate)
	}
	if r.Body != nil && r.RawBody != "" {
		return nil, bad("give body or raw_body, not both")
	}
	if r.RawBody != "" {
		if r.Status == 0 {
			return nil, bad("raw_body needs a status")
		}
		if !r.OffDocument {
			h := http.Header{"Content-Type": {"application/json"}}
			if ct := r.Headers["Content-Type"]; ct != "" {
				h.Set("Content-Type", ct)
			}
			if problems := s.doc.CheckResponse(spec.Method, "/v1/phone-numbers/x", r.Status, h, []byte(r.RawBody)); len(problems) > 0 {
				return nil, bad("status %d with this raw_body is off the document (%s); set off_document: true if that is what you want", r.Status, problems[0])
			}
		}
		return []byte(r.RawBody), nil
	}
	if r.Connection == ConnReset {
		if r.Status != 0 || r.Body != nil || r.RawBody != "" {
			return nil, bad("connection %q sends nothing; drop status and body", ConnReset)
		}
		return nil, nil
	}
	if r.Status == 0 {
		if r.Body != nil || r.Connection != "" || len(r.Headers) > 0 {
			return nil, bad("body, headers and connection need a status")
		}
		if r.Delay == 0 {
			return nil, bad("a rule needs a status, a connection fault or a delay")
		}
		return nil, nil
	}
	if r.Status < 100 || r.Status > 599 {
		return nil, bad("status %d is not an HTTP status", r.Status)
	}
	if r.Body == nil {
		if s.defaultFaultBody(r.Status, "", pyjson.Value{}) != nil {
			return nil, nil // rendered when it fires, from the request's id and body
		}
		if !r.OffDocument {
			return nil, bad("status %d has no default body; give a body, or set off_document: true for an answer the document does not allow", r.Status)
		}
		return nil, nil
	}
	v, err := pyjson.Decode(r.Body)
	if err != nil {
		return nil, bad("body is not JSON: %v", err)
	}
	body, err := pyjson.Append(nil, v)
	if err != nil {
		return nil, bad("body: %v", err)
	}
	if !r.OffDocument {
		h := http.Header{"Content-Type": {"application/json"}}
		if problems := s.doc.CheckResponse(spec.Method, "/v1/phone-numbers/x", r.Status, h, body); len(problems) > 0 {
			return nil, bad("status %d with this body is off the document (%s); set off_document: true if that is what you want", r.Status, problems[0])
		}
	}
	return body, nil
}

// defaultFaultBody is a realistic, on-document body for the documented error
// statuses: ErrorResponse for 404 and 500, a pydantic-shaped 422.
func (s *Server) defaultFaultBody(status int, id string, body pyjson.Value) []byte {
	switch status {
	case http.StatusNotFound:
		return notFoundBody(id)
	case http.StatusInternalServerError:
		return errorBody(codeInternal, "An unexpected error occurred while updating the phone number. Please try again later.")
	case http.StatusUnprocessableEntity:
		return s.defaultValidationBody(body)
	}
	return nil
}

// defaultValidationBody is the 422 a wrong type for the first field every branch
// declares gives: one string_type error per branch, echoing what was sent.
func (s *Server) defaultValidationBody(body pyjson.Value) []byte {
	u := &s.doc.Union
	field := ""
	if len(u.Branches) > 0 {
		for _, p := range u.Branches[0].Props {
			common := true
			for _, b := range u.Branches[1:] {
				common = common && b.Has(p.Name)
			}
			if common {
				field = p.Name
				break
			}
		}
	}
	input, _ := body.Get(field)
	var details []spec.Detail
	for _, b := range u.Branches {
		loc := []pyjson.Value{pyjson.StringValue("body")}
		if u.Titled {
			loc = append(loc, pyjson.StringValue(b.Title))
		}
		if field != "" {
			loc = append(loc, pyjson.StringValue(field))
		}
		details = append(details, spec.Detail{Type: "string_type", Loc: loc, Msg: "Input should be a valid string", Input: input})
	}
	out, err := spec.AppendValidationError(nil, details)
	if err != nil { // the echoed input cannot be sent: echo null instead
		for i := range details {
			details[i].Input = pyjson.NullValue()
		}
		out, _ = spec.AppendValidationError(nil, details)
	}
	return out
}

// addFault adds a rule checked by checkFault (body is what it returned) to the
// session; the caller holds ss.mu.
func (ss *session) addFault(r FaultRule, body []byte, seed uint64) FaultRule {
	ss.faultSeq++
	r.ID = "f" + strconv.Itoa(ss.faultSeq)
	f := &fault{FaultRule: r, body: body, seq: ss.faultSeq, rng: rand.New(rand.NewPCG(seed, uint64(ss.faultSeq)))}
	ss.faults = append(ss.faults, f)
	return r
}

// faultRequest is what rules match against.
type faultRequest struct {
	method  string
	id      string
	header  http.Header
	raw     []byte
	body    pyjson.Value // decoded from raw on first need
	decoded bool
}

// jsonBody decodes the body once, for rules that match on body fields; a body that is
// not JSON matches no body matcher.
func (fr *faultRequest) jsonBody() pyjson.Value {
	if !fr.decoded {
		fr.decoded = true
		fr.body, _ = pyjson.Decode(fr.raw)
	}
	return fr.body
}

func (m *FaultMatch) matches(fr *faultRequest) bool {
	if m.Method != "" && !strings.EqualFold(m.Method, fr.method) {
		return false
	}
	if m.PhoneNumberID != "" {
		if ok, _ := path.Match(m.PhoneNumberID, fr.id); !ok {
			return false
		}
	}
	for k, want := range m.Headers {
		got, present := fr.header[http.CanonicalHeaderKey(k)]
		if !present {
			return false
		}
		if want != "" {
			if ok, _ := path.Match(want, strings.Join(got, ", ")); !ok {
				return false
			}
		}
	}
	for k, want := range m.Body {
		got, present := fr.jsonBody().Get(k)
		if w, ok := want.(map[string]any); ok && len(w) == 1 {
			if p, ok := w["$present"].(bool); ok {
				if present != p {
					return false
				}
				continue
			}
			if a, ok := w["$absent"].(bool); ok {
				if present == a {
					return false
				}
				continue
			}
		}
		if !present || !jsonEqual(got.Interface(), want) {
			return false
		}
	}
	return true
}

// jsonEqual compares a decoded body value with a rule value read from JSON or YAML.
func jsonEqual(got, want any) bool {
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(normalize(want))
	if err1 != nil || err2 != nil {
		return false
	}
	var gv, wv any
	_ = json.Unmarshal(g, &gv)
	_ = json.Unmarshal(w, &wv)
	return reflect.DeepEqual(gv, wv)
}

// normalize turns YAML's map[any]any-free values into JSON-marshalable ones.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	default:
		return v
	}
}

// pickFault finds the rule that answers a request, counting matches and fires; nil
// when none does. Rules that expired stay listed with remaining 0.
func (ss *session) pickFault(fr *faultRequest) *fault {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.faults) == 0 {
		return nil
	}
	order := slices.Clone(ss.faults)
	slices.SortStableFunc(order, func(a, b *fault) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		return b.seq - a.seq
	})
	for _, f := range order {
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		if !f.Match.matches(fr) {
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

// requestFault turns the per-request header into a one-off rule, or explains why it
// cannot.
func (s *Server) requestFault(h http.Header) (*fault, error) {
	v := strings.TrimSpace(h.Get(FaultHeader))
	if prefer := h.Get("Prefer"); v == "" && prefer != "" {
		for _, part := range strings.Split(prefer, ",") {
			if code, ok := strings.CutPrefix(strings.TrimSpace(part), "code="); ok {
				v = code
			}
		}
	}
	if v == "" {
		return nil, nil
	}
	r := FaultRule{Name: FaultHeader + ": " + v}
	switch v {
	case ConnReset, ConnCloseAfterHeaders, ConnTruncate:
		r.Connection = v
		if v != ConnReset {
			r.Status = http.StatusInternalServerError
		}
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a status or a connection fault (%s, %s, %s)", FaultHeader, v, ConnReset, ConnCloseAfterHeaders, ConnTruncate)
		}
		if n != 200 && !s.doc.Documents(n) || n == 200 {
			return nil, fmt.Errorf("%s: %d is not an error status the document lists (%v); add a fault rule with off_document: true for anything else", FaultHeader, n, s.doc.Statuses)
		}
		r.Status = n
	}
	body, err := s.checkFault(r)
	if err != nil {
		return nil, err
	}
	return &fault{FaultRule: r, body: body}, nil
}
