package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// ProxyEntry is one exchange in the proxy's journal (or a learning read, Kind
// "learn"), credentials redacted.
type ProxyEntry struct {
	Seq    uint64      `json:"seq"`
	Kind   string      `json:"kind"`
	Time   time.Time   `json:"time"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"headers,omitempty"`
	Body   string      `json:"body,omitempty"`
	// Upstream is its answer (nil when it failed or nothing was forwarded), Oracle the
	// oracle's (nil when it was not asked).
	Upstream *ProxyAnswer `json:"upstream,omitempty"`
	Oracle   *ProxyAnswer `json:"oracle,omitempty"`
	// Verdict is equal, drift, not compared, upstream failed or not forwarded.
	Verdict string `json:"verdict"`
	// Rule is the docs/fidelity.md rule a drift broke (one of judge.Rules).
	Rule       string           `json:"rule,omitempty"`
	Reason     string           `json:"reason,omitempty"`
	Mismatches []judge.Mismatch `json:"mismatches,omitempty"`
	DurationMS float64          `json:"duration_ms"`
	curl       string
}

// ProxyAnswer is one side's answer in a journal entry.
type ProxyAnswer struct {
	Status int         `json:"status"`
	Header http.Header `json:"headers,omitempty"`
	Body   string      `json:"body,omitempty"`
}

// status is the answer's status, 0 for no answer.
func (a *ProxyAnswer) status() int {
	if a == nil {
		return 0
	}
	return a.Status
}

// DriftReport is what GET /__admin/drift answers and the proxy writes on exit.
type DriftReport struct {
	Upstream string    `json:"upstream"`
	Started  time.Time `json:"started"`
	// Exchanges counts the application's requests; LearningReads the proxy's own.
	Exchanges      int `json:"exchanges"`
	Equal          int `json:"equal"`
	Drifted        int `json:"drifted"`
	NotCompared    int `json:"not_compared"`
	UpstreamFailed int `json:"upstream_failed"`
	NotForwarded   int `json:"not_forwarded"`
	LearningReads  int `json:"learning_reads"`
	// LearningDrifted counts learning reads answered off the document; their drift is
	// under Rules too.
	LearningDrifted int `json:"learning_reads_drifted"`
	// Rules are the rules drift was seen under, in the order of judge.Rules.
	Rules []DriftRule `json:"rules"`
	// Numbers is how many numbers --record has kept.
	Numbers int `json:"numbers_recorded"`
}

// DriftRule is the drift seen under one rule.
type DriftRule struct {
	Rule      string      `json:"rule"`
	Text      string      `json:"text"`
	Count     int         `json:"count"`
	FirstSeen time.Time   `json:"first_seen"`
	LastSeen  time.Time   `json:"last_seen"`
	Kinds     []DriftKind `json:"kinds"`
	// Unkept counts drifts seen after the store of kinds was full.
	Unkept int `json:"unkept,omitempty"`
}

// DriftKind is one kind of drift: the same statuses on both sides and the same kinds
// of difference, with the first exchange that showed it.
type DriftKind struct {
	Signature string      `json:"signature"`
	Count     int         `json:"count"`
	FirstSeen time.Time   `json:"first_seen"`
	LastSeen  time.Time   `json:"last_seen"`
	Example   *ProxyEntry `json:"example"`
	Curl      string      `json:"curl"`
}

// Compared counts the exchanges the upstream answered and the oracle judged.
func (r *DriftReport) Compared() int { return r.Equal + r.Drifted }

// NeverAnswered: exchanges were forwarded and the upstream answered none of them
// (refused, timed out, reset): nothing was compared, which is not "no drift".
func (r *DriftReport) NeverAnswered() bool {
	return r.UpstreamFailed > 0 && r.Compared()+r.NotCompared == 0
}

// Summary is "N exchanges, N compared, N drifted", and what else there was to say.
func (r *DriftReport) Summary() string {
	s := fmt.Sprintf("%d exchanges, %d compared, %d drifted", r.Exchanges, r.Compared(), r.Drifted)
	var more []string
	for _, x := range []struct {
		n    int
		what string
	}{{r.NotCompared, "not compared"}, {r.UpstreamFailed, "upstream failed"}, {r.NotForwarded, "not forwarded"}, {r.LearningReads, "learning reads"}} {
		if x.n > 0 {
			more = append(more, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	if r.LearningDrifted > 0 {
		more = append(more, fmt.Sprintf("%d learning reads drifted", r.LearningDrifted))
	}
	if len(more) > 0 {
		s += " (" + strings.Join(more, ", ") + ")"
	}
	return s
}

// Any reports whether anything drifted, learning reads included.
func (r *DriftReport) Any() bool { return r.Drifted > 0 || r.LearningDrifted > 0 }

// WriteText writes the drift by rule, a curl per kind, and the summary last.
func (r *DriftReport) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, rule := range r.Rules {
		fmt.Fprintf(&b, "DRIFT %s: %d (first %s, last %s)\n", rule.Rule, rule.Count, rule.FirstSeen.Format(time.RFC3339), rule.LastSeen.Format(time.RFC3339))
		for _, k := range rule.Kinds {
			fmt.Fprintf(&b, "  %d× %s: %s %s: %s\n", k.Count, k.Signature, k.Example.Method, k.Example.Path, k.Example.Reason)
			fmt.Fprintf(&b, "    %s\n", k.Curl)
		}
		if rule.Unkept > 0 {
			fmt.Fprintf(&b, "  %d more (kinds past the store's bound are counted only)\n", rule.Unkept)
		}
	}
	switch {
	case r.NeverAnswered():
		fmt.Fprintf(&b, "NOTHING COMPARED: the upstream %s answered none of %d exchanges (%d upstream failed); that is not \"no drift\"\n", r.Upstream, r.Exchanges, r.UpstreamFailed)
	case r.Exchanges == 0:
		fmt.Fprintf(&b, "nothing compared: no exchange came through the proxy\n")
	}
	fmt.Fprintf(&b, "%s\n", r.Summary())
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as JSON.
func (r *DriftReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// driftStore counts the exchanges and keeps the drift, bounded: at most maxKinds
// kinds with an example each; past that a drift is counted under its rule only.
type driftStore struct {
	mu       sync.Mutex
	rep      DriftReport
	rules    map[string]*DriftRule
	kinds    map[string]*DriftKind
	maxKinds int
	// records are the numbers seen (for --record), credentials already replaced.
	recordOn bool
	records  map[string]pyjson.Value
	order    []string
	maxRecs  int
}

func newDriftStore(upstream string, maxKinds int, record bool, maxRecords int) *driftStore {
	return &driftStore{rep: DriftReport{Upstream: upstream, Started: time.Now()}, rules: map[string]*DriftRule{},
		kinds: map[string]*DriftKind{}, maxKinds: maxKinds, recordOn: record, records: map[string]pyjson.Value{}, maxRecs: maxRecords}
}

func (d *driftStore) learnt() {
	d.mu.Lock()
	d.rep.LearningReads++
	d.mu.Unlock()
}

func (d *driftStore) add(e *ProxyEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Kind == "learn" {
		if e.Verdict == VerdictDrift {
			d.rep.LearningDrifted++
			d.kind(e)
		}
		return
	}
	d.rep.Exchanges++
	switch e.Verdict {
	case VerdictEqual:
		d.rep.Equal++
	case VerdictNotCompared:
		d.rep.NotCompared++
	case VerdictUpstreamFailed:
		d.rep.UpstreamFailed++
	case VerdictNotForwarded:
		d.rep.NotForwarded++
	case VerdictDrift:
		d.rep.Drifted++
		d.kind(e)
	}
}

// kind counts a drift under its rule and its kind.
func (d *driftStore) kind(e *ProxyEntry) {
	rule := d.rules[e.Rule]
	if rule == nil {
		rule = &DriftRule{Rule: e.Rule, FirstSeen: e.Time}
		for _, r := range judge.Rules {
			if r.Name == e.Rule {
				rule.Text = r.Text
			}
		}
		d.rules[e.Rule] = rule
	}
	rule.Count++
	rule.LastSeen = e.Time
	sig := fmt.Sprintf("%s: oracle %d, upstream %d; %s", e.Method, e.Oracle.status(), e.Upstream.status(), judge.DiffKinds(e.Mismatches))
	if e.Kind == "learn" {
		sig = "learning read: upstream " + strconv.Itoa(e.Upstream.status()) + " off the document"
	}
	key := e.Rule + "\x00" + sig
	k := d.kinds[key]
	if k == nil {
		if len(d.kinds) >= d.maxKinds {
			rule.Unkept++
			return
		}
		example := *e
		example.Header = nil // the request is in the curl; headers are noise here
		k = &DriftKind{Signature: sig, FirstSeen: e.Time, Example: &example, Curl: e.curl}
		d.kinds[key] = k
	}
	k.Count++
	k.LastSeen = e.Time
}

// report is a copy of the counts and the drift, rules in docs/fidelity.md's order and kinds
// most frequent first.
func (d *driftStore) report() *DriftReport {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.rep
	out.Numbers = len(d.records)
	out.Rules = []DriftRule{}
	for _, r := range judge.Rules {
		rule := d.rules[r.Name]
		if rule == nil {
			continue
		}
		c := *rule
		c.Kinds = nil
		for key, k := range d.kinds {
			if strings.HasPrefix(key, r.Name+"\x00") {
				c.Kinds = append(c.Kinds, *k)
			}
		}
		slices.SortFunc(c.Kinds, func(a, b DriftKind) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return a.FirstSeen.Compare(b.FirstSeen)
		})
		out.Rules = append(out.Rules, c)
	}
	return &out
}

// record keeps the last record seen of a number, every credential replaced.
func (d *driftStore) record(id string, rec pyjson.Value) {
	if !d.recordOn {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, seen := d.records[id]; !seen {
		if len(d.order) >= d.maxRecs {
			return
		}
		d.order = append(d.order, id)
	}
	d.records[id] = placeholders(rec)
}

// placeholders replaces the value of every key named like a credential
// (protocol.SecretKey: sip_trunk_password, twilio_auth_token, *token*, …) that holds
// a string; null stays null, so that "no password set" is kept.
func placeholders(v pyjson.Value) pyjson.Value {
	return v.ReplaceMembers(func(key string, val pyjson.Value) (pyjson.Value, bool) {
		if protocol.SecretKey(key) && val.Kind == pyjson.String {
			return pyjson.StringValue(secretPlaceholderPrefix + key), true
		}
		return val, false
	})
}

func (d *driftStore) writeFixtures(w io.Writer) error {
	d.mu.Lock()
	list := make([]pyjson.Value, 0, len(d.order))
	for _, id := range d.order {
		list = append(list, d.records[id])
	}
	d.mu.Unlock()
	b, err := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{{Key: "phone_numbers", Value: pyjson.ArrayValue(list)}}))
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// proxyJournal keeps the last exchanges, oldest first. Each entry is bounded
// (bodies journalBodyBytes, 64 headers of 1 KiB, 20 differences), so the whole is.
type proxyJournal struct {
	mu      sync.Mutex
	size    int
	seq     uint64
	entries []*ProxyEntry
}

func newProxyJournal(size int) *proxyJournal { return &proxyJournal{size: size} }

func (j *proxyJournal) add(e *ProxyEntry) {
	if j.size < 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if len(j.entries) >= j.size {
		j.entries = slices.Delete(j.entries, 0, len(j.entries)-j.size+1)
	}
	j.entries = append(j.entries, e)
}

func (j *proxyJournal) list(since uint64, limit int) []*ProxyEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []*ProxyEntry{}
	for _, e := range j.entries {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// admin serves the proxy's own routes: the drift, the journal and a health check.
func (p *Proxy) admin(w http.ResponseWriter, r *http.Request) {
	send := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	if !protocol.AdminHostAllowed(p.cfg.AdminHosts, r.Host) {
		// As the fake's: a web page reaching a loopback proxy through DNS rebinding
		// must not read the journal.
		send(http.StatusForbidden, protocol.HostRefused(r.Host, ""))
		return
	}
	switch r.URL.Path {
	case proxyDriftPath, proxyRequestsPath, proxyHealthPath:
	default:
		send(http.StatusNotFound, protocol.ErrorResponse{Error: "not_found", Message: "The proxy serves GET " + proxyDriftPath + ", " + proxyRequestsPath + " and " + proxyHealthPath + "; nothing under /__admin/ is forwarded."})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		send(http.StatusMethodNotAllowed, protocol.ErrorResponse{Error: "method_not_allowed", Message: "The proxy's admin routes are read-only."})
		return
	}
	switch r.URL.Path {
	case proxyHealthPath:
		send(http.StatusOK, map[string]string{"status": "ok"})
	case proxyDriftPath:
		send(http.StatusOK, p.Report())
	case proxyRequestsPath:
		q := r.URL.Query()
		since, err1 := parseCount(q.Get("since"))
		limit, err2 := parseCount(q.Get("limit"))
		if err1 != nil || err2 != nil {
			send(http.StatusBadRequest, protocol.ErrorResponse{Error: protocol.CodeInvalidAdminRequest, Message: "since and limit take a non-negative integer."})
			return
		}
		send(http.StatusOK, map[string]any{"requests": p.journal.list(since, int(limit))})
	}
}

func parseCount(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 32)
}
