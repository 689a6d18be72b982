package contract

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Outcomes of a generated case beyond the scenario ones.
const (
	// StatusInfo is a difference that depends on something outside the framework
	// (an HTTP server's size limits): reported, never a failure.
	StatusInfo = "info"
)

// GenerationReport is the outcome of the generated differential cases.
type GenerationReport struct {
	// Off says why no case was generated ("" when cases ran).
	Off  string `json:"off,omitempty"`
	Seed uint64 `json:"seed"`
	// Requested is how many cases were asked for.
	Requested int          `json:"requested"`
	Cases     []CaseResult `json:"cases,omitempty"`
	Passed    int          `json:"passed"`
	Failed    int          `json:"failed"`
	Info      int          `json:"info"`
	Skipped   int          `json:"skipped"`
	// DurationMS is the time the cases took, ShrinkMS the part spent shrinking.
	DurationMS float64 `json:"duration_ms"`
	ShrinkMS   float64 `json:"shrink_ms"`
}

// CaseResult is one generated case (or the concurrency probe). Requests and answers
// are kept for failed and informational cases only.
type CaseResult struct {
	// ID is SEED:INDEX, what --replay takes; the probe's is SEED:probe.
	ID       string `json:"id"`
	Index    int    `json:"index"`
	Category string `json:"category"`
	Provider string `json:"provider,omitempty"`
	Status   string `json:"status"`
	// Rule is the docs/fidelity.md rule a failure broke (one of judge.Rules).
	Rule   string     `json:"rule,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Steps  []CaseStep `json:"steps,omitempty"`
	// State compares a read of the number on both sides after the case.
	State []Mismatch `json:"state,omitempty"`
	// Shrunk says how the failing case was reduced: from what, in how many tries.
	Shrunk *Shrink `json:"shrunk,omitempty"`
	// SameAs names the shrunk case that failed the same way (same statuses, same
	// kinds of difference, same rule).
	SameAs     string       `json:"same_as,omitempty"`
	sig        string       // the failure's signature, for grouping
	before     pyjson.Value // the record the case started from, for shrinking
	DurationMS float64      `json:"duration_ms"`
}

// CaseStep is one request of a case and both answers.
type CaseStep struct {
	Method      string     `json:"method"`
	Path        string     `json:"path"`
	ContentType *string    `json:"content_type"`
	Body        string     `json:"body"`
	Oracle      string     `json:"oracle"`
	Target      string     `json:"target"`
	Mismatches  []Mismatch `json:"mismatches,omitempty"`
	Curl        string     `json:"curl,omitempty"`
}

// Shrink records how a failing case was reduced before it was reported.
type Shrink struct {
	OriginalBody  string  `json:"original_body"`
	OriginalSteps int     `json:"original_steps"`
	Tries         int     `json:"tries"`
	DurationMS    float64 `json:"duration_ms"`
}

// Shrinking bounds: one case per kind of failure, up to these many kinds and this
// long, so that a badly broken target still gets its report quickly.
const (
	maxShrunk     = 12
	maxShrinkTime = 30 * time.Second // a safety net; the try counts bound a normal run
	maxShrinkTry  = 100
)

// caseRun is what happened when a case was sent to both sides.
type caseRun struct {
	id      string
	session string
	before  pyjson.Value // the number as both sides started
	steps   []stepRun
	failed  int      // index of the step whose answers differ; -1 none
	read    *stepRun // the first read, when its answers differ
	state   []Mismatch
	err     error  // the case could not be run (transport, a broken states route)
	offDoc  string // the target's record read at the start is off the document
	lost    string // the named number could not be restored before the case
	limited bool   // the target answered a server limit (413, 414, 431)
	note    string // what the limit is, for the report
}

type stepRun struct {
	req          judge.Request
	fake, target judge.Reply
	diffs        []Mismatch
}

func (c *caseRun) failing() bool {
	return c.err == nil && c.offDoc == "" && c.lost == "" && !c.limited && (c.failed >= 0 || len(c.state) > 0 || c.read != nil)
}

// signature identifies a failure so that shrinking keeps the same one, not another
// bug it meets on the way (the false positive Schemathesis users report).
func (c *caseRun) signature() string {
	if c.read != nil {
		return "read " + judge.DiffKinds(c.read.diffs)
	}
	if c.failed < 0 {
		return "state " + diffPaths(c.state)
	}
	s := c.steps[c.failed]
	return fmt.Sprintf("step %d/%d %s", s.fake.Status, s.target.Status, judge.DiffKinds(s.diffs))
}

func diffPaths(mm []Mismatch) string {
	var paths []string
	for _, m := range mm {
		paths = append(paths, m.Path)
	}
	sort.Strings(paths)
	return strings.Join(paths, ",")
}

// generated runs the differential cases and the concurrency probe.
func (r *runner) generated(ctx context.Context) *GenerationReport {
	start := time.Now()
	gr := &GenerationReport{Seed: r.cfg.Seed}
	if gr.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		gr.Seed = binary.LittleEndian.Uint64(b[:]) >> 12 // short enough to type
	}
	providers, off := r.generatedProviders()
	if off != "" {
		gr.Off = off
		return gr
	}
	u, _ := url.Parse(r.cfg.Target)
	r.oracle = judge.NewOracle(r.cfg.Oracle, u.Host)
	r.gen = newGenerator(r.doc, providers)
	n := r.cfg.Generate
	if n == 0 {
		n = DefaultGenerate
	}
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}
	if r.cfg.Replay != nil && *r.cfg.Replay >= 0 {
		indices = []int{*r.cfg.Replay}
	}
	gr.Requested = len(indices)
	r.meter.plan(len(indices))
	results := r.runCases(ctx, gr.Seed, indices)
	shrinkStart := time.Now()
	r.shrinkFailures(ctx, gr.Seed, results)
	gr.ShrinkMS = ms(time.Since(shrinkStart))
	if r.cfg.Replay == nil || *r.cfg.Replay < 0 {
		if ctx.Err() == nil {
			results = append(results, r.probe(ctx, gr.Seed))
		}
	}
	gr.count(results, indices)
	gr.DurationMS = ms(time.Since(start))
	return gr
}

// generatedProviders are the providers cases may run on, or why none run.
func (r *runner) generatedProviders() (providers []string, off string) {
	switch {
	case r.cfg.Generate < 0:
		return nil, "generated cases are off (--generate 0)"
	case r.cfg.Oracle == nil:
		return nil, "generated cases are off: no oracle was given (Config.Oracle)"
	case r.cfg.States != "":
		return r.doc.ProviderNames(), ""
	}
	for _, p := range r.doc.ProviderNames() {
		if r.cfg.IDs[p] != "" {
			providers = append(providers, p)
		}
	}
	if len(providers) == 0 {
		return nil, offWithoutANumber
	}
	return providers, ""
}

// runCases runs the cases at indices, in parallel with a states route (each case
// has a session of its own), one at a time on named numbers.
func (r *runner) runCases(ctx context.Context, seed uint64, indices []int) []CaseResult {
	results := make([]CaseResult, len(indices))
	workers := 1
	if r.cfg.States != "" {
		workers = r.cfg.Parallel
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = r.runGenerated(ctx, seed, indices[i])
				r.meter.finished(results[i].Status)
			}
		}()
	}
	for i := range indices {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// shrinkFailures shrinks after the run so that its time is spent on failures only,
// one at a time: one case of each kind of failure (category and signature), whose
// rule the others of its kind take; the rest are listed as they failed.
func (r *runner) shrinkFailures(ctx context.Context, seed uint64, results []CaseResult) {
	shrinkStart := time.Now()
	shrunk := map[string]int{}
	for i := range results {
		res := &results[i]
		if res.Status != StatusFailed || res.Index < 0 || res.sig == "" {
			continue
		}
		kind := res.sig
		j, seen := shrunk[kind]
		if seen || len(shrunk) >= maxShrunk || time.Since(shrinkStart) > maxShrinkTime || ctx.Err() != nil || r.overBudget() {
			// One try only: the plainest request that still fails the same way, so
			// that the rule is read from the cause, not from the decoration.
			*res = r.plainest(ctx, seed, *res)
			if seen && res.Rule == results[j].Rule {
				res.SameAs = results[j].ID
			}
			continue
		}
		shrunk[kind] = i
		*res = r.shrinkCase(ctx, seed, *res)
	}
}

// count fills in the cases never started (the run was stopped) and counts outcomes.
func (gr *GenerationReport) count(results []CaseResult, indices []int) {
	for i := range results {
		if results[i].ID == "" { // never started: the run was stopped
			results[i] = CaseResult{ID: caseID(gr.Seed, indices[i]), Index: indices[i], Status: StatusSkipped, Reason: "not run: the run was stopped"}
		}
		switch results[i].Status {
		case StatusPassed:
			gr.Passed++
		case StatusFailed:
			gr.Failed++
		case StatusInfo:
			gr.Info++
		case StatusSkipped:
			gr.Skipped++
		}
	}
	gr.Cases = results
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func caseID(seed uint64, index int) string { return fmt.Sprintf("%d:%d", seed, index) }

// runGenerated runs case index once and reports it.
func (r *runner) runGenerated(ctx context.Context, seed uint64, index int) CaseResult {
	c := r.gen.caseAt(seed, index)
	res := CaseResult{ID: caseID(seed, index), Index: index, Category: c.Category, Provider: c.Provider, Status: StatusPassed}
	if r.overBudget() {
		res.Status, res.Reason = StatusSkipped, skipOverBudget
		return res
	}
	if lost := r.hygiene.lostAt(c.Provider); lost != "" {
		res.Status, res.Reason = StatusSkipped, fmt.Sprintf("the %s number could not be restored (case %s says why)", c.Provider, lost)
		return res
	}
	start := time.Now()
	run := r.runCase(ctx, seed, c, "", nil)
	res.DurationMS = ms(time.Since(start))
	r.fill(&res, c, run)
	return res
}

// fill turns a run into the case's result.
func (r *runner) fill(res *CaseResult, c genCase, run *caseRun) {
	res.before = run.before
	switch {
	case run.err != nil:
		res.Status, res.Rule, res.Reason = StatusFailed, "", run.err.Error()
	case run.lost != "":
		res.Status, res.Rule, res.Reason = StatusFailed, judge.RuleStoredState, run.lost
	case run.offDoc != "":
		res.Status, res.Rule, res.Reason = StatusFailed, judge.RuleRendering, "the target's answer to a read is off the document: "+run.offDoc
	case run.limited:
		res.Status, res.Reason = StatusInfo, run.note
	case run.read != nil:
		s := run.read
		res.Status, res.sig = StatusFailed, run.signature()
		res.Rule = r.judge.Diagnose(patch().origin(c.Category), s.req, run.before, s.fake, s.target)
		res.Reason = "reading the number before the case: " + judge.DiffText(s.diffs)
		res.Steps = []CaseStep{r.caseStep(*s, run.session)}
		return
	case run.failed >= 0:
		s := run.steps[run.failed]
		res.Status, res.sig = StatusFailed, run.signature()
		res.Rule = r.judge.Diagnose(c.Steps[run.failed].origin(c.Category), s.req, run.before, s.fake, s.target)
		res.Reason = fmt.Sprintf("step %d: %s", run.failed+1, judge.DiffText(s.diffs))
	case len(run.state) > 0:
		res.Status, res.Rule, res.sig = StatusFailed, judge.RuleStoredState, run.signature()
		res.Reason = "the answers agree but a later read differs: " + judge.DiffText(run.state)
	default:
		res.Status = StatusPassed
		return
	}
	res.Steps = nil
	for i, s := range run.steps {
		st := r.caseStep(s, run.session)
		if i != run.failed && !(run.failed < 0 && i == len(run.steps)-1) {
			st.Curl = ""
		}
		res.Steps = append(res.Steps, st)
	}
	res.Steps = append(res.Steps, r.unanswered(run.err)...)
	res.State = run.state
}

func (r *runner) caseStep(s stepRun, session string) CaseStep {
	return CaseStep{Method: s.req.Method, Path: s.req.Path, ContentType: s.req.ContentType, Body: bodyShown(s.req.Body, r.cfg.Token),
		Oracle: answerText(s.fake, r.cfg.Token), Target: answerText(s.target, r.cfg.Token), Mismatches: s.diffs, Curl: r.curlFor(s.req, session)}
}

func bodyShown(b []byte, token string) string {
	if v, err := pyjson.Decode(b); err == nil && !strings.HasPrefix(string(b), "\xef\xbb\xbf") && len(b) > 0 && b[0] != 0 && (len(b) < 2 || b[1] != 0) {
		return judge.RedactText(judge.RedactValue(v), token)
	}
	return judge.RedactText(fmt.Sprintf("%q", judge.Truncate(b)), token)
}

func answerText(a judge.Reply, token string) string {
	ct := a.Header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	extra := ""
	if loc := a.Header.Get("Location"); loc != "" {
		extra = " Location: " + loc
	}
	if allow := a.Header.Get("Allow"); allow != "" {
		extra += " Allow: " + allow
	}
	return fmt.Sprintf("%d (%s%s) %s", a.Status, ct, extra, judge.RedactBody(a.Body, token))
}

// curlFor reproduces a request, in its session when the target has states (the
// number lives there).
func (r *runner) curlFor(w judge.Request, session string) string {
	req, err := r.newRequest(context.Background(), session, w)
	if err != nil {
		return ""
	}
	return r.curl(req, w.Body)
}

// runCase sets up the same number on both sides, sends every step to both, and
// compares the answers, then a read of the number on both.
//
// from, when not nil, is the record an earlier run started from: a shrinking attempt
// starts from the same values, or its failure could vanish with them.
func (r *runner) runCase(ctx context.Context, seed uint64, c genCase, attempt string, from *pyjson.Value) *caseRun {
	run := &caseRun{failed: -1, session: fmt.Sprintf("contract-%s-g%d%s", r.runID, c.Index, attempt)}
	if run.id, run.err = r.caseNumber(ctx, run.session, c, from); run.err != nil {
		return run
	}
	read := judge.EmptyPatch(run.id)
	if r.cfg.States == "" && from == nil {
		// A named number is shared by every case: what this one leaves is what the
		// next one must start from (hygiene.go).
		defer r.leave(ctx, run, caseID(seed, c.Index), c.Provider, read)
	}
	if !r.startBoth(ctx, run, read) {
		return run
	}
	unknown := unknownID(seed, c.Index)
	for i, s := range c.Steps {
		sr, err := r.sendBoth(ctx, run.session, s.wire(run.id, unknown))
		if err != nil {
			run.err = err
			return run
		}
		run.steps = append(run.steps, sr)
		if t := sr.target.Status; t == http.StatusRequestEntityTooLarge || t == http.StatusRequestURITooLong || t == http.StatusRequestHeaderFieldsTooLarge {
			if run.limited = sr.fake.Status != t; run.limited {
				run.note = fmt.Sprintf("the target answered %d where the fake answered %d: a limit of the target's server or deployment, which the fake cannot know", t, sr.fake.Status)
				if s.Limit != "" {
					run.note += " (" + s.Limit + ")"
				}
			}
		}
		if len(sr.diffs) > 0 && s.Limit != "" && sr.fake.Status != sr.target.Status && (sr.fake.Status == http.StatusBadRequest || sr.target.Status == http.StatusBadRequest) {
			// A limit the service's stack decides (how deep it nests): said, not failed.
			run.limited, run.note = true, fmt.Sprintf("the target answered %d where the fake answered %d: %s", sr.target.Status, sr.fake.Status, s.Limit)
		}
		if len(sr.diffs) > 0 {
			run.failed = i
			return run
		}
	}
	after, err := r.sendBoth(ctx, run.session, read)
	if err != nil {
		run.err = err
		return run
	}
	for _, m := range after.diffs {
		m.Path = "read after: " + m.Path
		run.state = append(run.state, m)
	}
	return run
}

// sendBoth sends w to the target, then to the oracle, and compares the replies.
func (r *runner) sendBoth(ctx context.Context, session string, w judge.Request) (stepRun, error) {
	t, err := r.send(ctx, session, w)
	if err != nil {
		return stepRun{}, err
	}
	f, err := r.oracle.Send(ctx, session, w)
	if err != nil {
		return stepRun{}, err
	}
	if w.Method == http.MethodHead {
		f.Body = nil // the oracle's recorder keeps what a server never sends to HEAD
	}
	return stepRun{req: w, fake: f, target: t, diffs: judge.Compare(f, t, r.cfg.Strict)}, nil
}

// caseNumber sets up the case's number on the target: a new one in the case's
// session with a states route, else the named one, set back to from's values.
func (r *runner) caseNumber(ctx context.Context, session string, c genCase, from *pyjson.Value) (string, error) {
	if r.cfg.States != "" {
		params := map[string]pyjson.Value{}
		if from != nil {
			for _, m := range from.Obj {
				if m.Key != spec.IDField && m.Key != spec.ProviderField && m.Key != spec.NumberField {
					params[m.Key] = m.Value
				}
			}
		}
		vals, skip, err := r.states.provide(ctx, session, Given{State: r.providerState(c.Provider), Params: params})
		if err == nil && skip != "" {
			err = fmt.Errorf("state %q: %s", r.providerState(c.Provider), skip)
		}
		if err != nil {
			return "", fmt.Errorf("setting up a %s number: %w", c.Provider, err)
		}
		return vals["phone_number_id"].Str, nil
	}
	id := r.cfg.IDs[c.Provider]
	if from == nil {
		return id, nil
	}
	body := pyjson.ObjectValue(nil)
	for _, f := range r.restorable(r.doc.Provider(c.Provider)) {
		if v, ok := from.Get(f); ok {
			body.Set(f, v)
		}
	}
	if b, err := pyjson.Append(nil, body); err == nil {
		if _, err := r.send(ctx, session, judge.JSONRequest(http.MethodPatch, judge.NumberPath(id), b)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// startBoth reads the number on the target and teaches the oracle that record; it
// reports whether the case can go on.
func (r *runner) startBoth(ctx context.Context, run *caseRun, read judge.Request) bool {
	a, err := r.send(ctx, run.session, read)
	if err != nil {
		run.err = err
		return false
	}
	if r.cfg.States == "" {
		if a, err = r.clean(ctx, run, a, read); err != nil || run.lost != "" {
			run.err = err
			return false
		}
	}
	rec, problem := r.judge.CheckRecord(a, run.id)
	if a.Status != http.StatusOK {
		problem = fmt.Sprintf("reading the number answered %d", a.Status)
	}
	if problem != "" {
		run.offDoc = problem
		return false
	}
	if err := r.oracle.Store(ctx, run.session, rec); err != nil {
		run.err = err
		return false
	}
	// The oracle stored exactly what the target answered; reading it back on both
	// sides must agree, or the target renders a record differently from its store
	// (a read is step 0 then).
	f, err := r.oracle.Send(ctx, run.session, read)
	if err != nil {
		run.err = err
		return false
	}
	run.before, _ = pyjson.Decode(f.Body)
	if diffs := judge.Compare(f, a, r.cfg.Strict); len(diffs) > 0 {
		run.read = &stepRun{req: read, fake: f, target: a, diffs: diffs}
		return false
	}
	return true
}

// probe is the concurrency check: parallel PATCHes, each of one distinct field of
// one number, then a read in which every value must be present. It needs no oracle:
// what must be stored is known.
func (r *runner) probe(ctx context.Context, seed uint64) CaseResult {
	res := CaseResult{ID: fmt.Sprintf("%d:probe", seed), Index: -1, Category: "concurrency: parallel updates of distinct fields", Status: StatusPassed}
	if r.overBudget() {
		res.Status, res.Reason = StatusSkipped, skipOverBudget
		return res
	}
	start := time.Now()
	defer func() { res.DurationMS = ms(time.Since(start)) }()
	// Every provider with two fields an update can set: a store may race on one
	// provider's table and not another's.
	probed := 0
	const rounds = 3
	for _, provider := range r.gen.providers {
		fields := r.probeFields(provider)
		if len(fields) < 2 || r.hygiene.lostAt(provider) != "" {
			continue
		}
		probed++
		res.Provider = provider
		for round := range rounds {
			if !r.probeRound(ctx, seed, round, provider, fields, &res) {
				return res
			}
		}
	}
	res.Provider = ""
	if probed == 0 {
		res.Status, res.Reason = StatusSkipped, "no provider has two fields an update can set"
	}
	return res
}

// probeRound updates each field of one number at once and reads it back; it
// reports whether the round passed (res says why not).
func (r *runner) probeRound(ctx context.Context, seed uint64, round int, provider string, fields []string, res *CaseResult) bool {
	session := fmt.Sprintf("contract-%s-probe-%s-%d", r.runID, provider, round)
	id := r.cfg.IDs[provider]
	if r.cfg.States != "" {
		vals, skip, err := r.states.provide(ctx, session, Given{State: r.providerState(provider)})
		if err != nil || skip != "" {
			res.Status, res.Reason = StatusFailed, fmt.Sprintf("setting up a %s number: %v%s", provider, err, skip)
			return false
		}
		id = vals["phone_number_id"].Str
	}
	want := map[string]string{}
	reqs := make([]judge.Request, len(fields))
	for i, f := range fields {
		want[f] = fmt.Sprintf("probe-%d-%d-%s", seed%1000, round, f)
		body, _ := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{{Key: f, Value: pyjson.StringValue(want[f])}}))
		reqs[i] = judge.JSONRequest(http.MethodPatch, judge.NumberPath(id), body)
	}
	for i, err := range r.sendAtOnce(ctx, session, reqs) {
		if err != nil {
			res.Status, res.Rule, res.Reason = StatusFailed, judge.RuleConcurrency, fmt.Sprintf("parallel update of %s: %v", fields[i], err)
			res.Steps = []CaseStep{r.requestStep(reqs[i], session, err.Error())}
			return false
		}
	}
	a, err := r.send(ctx, session, judge.EmptyPatch(id))
	if err != nil {
		res.Status, res.Reason = StatusFailed, err.Error()
		res.Steps = r.unanswered(err)
		return false
	}
	rec, _ := pyjson.Decode(a.Body)
	var lost []Mismatch
	for _, f := range fields {
		got, ok := rec.Get(f)
		if !ok || got.Kind != pyjson.String || got.Str != want[f] {
			lost = append(lost, Mismatch{Path: "$." + f, Expected: judge.RedactValue(pyjson.ObjectValue([]pyjson.Member{{Key: f, Value: pyjson.StringValue(want[f])}})), Got: judge.RedactValue(pyjson.ObjectValue([]pyjson.Member{{Key: f, Value: got}}))})
		}
	}
	if len(lost) == 0 {
		return true
	}
	res.Status, res.Rule = StatusFailed, judge.RuleConcurrency
	res.Reason = fmt.Sprintf("round %d: %d of %d parallel updates of distinct fields were lost", round+1, len(lost), len(fields))
	res.Steps = []CaseStep{{Method: http.MethodPatch, Path: judge.NumberPath(id), ContentType: &jsonCT, Body: "{}",
		Target: answerText(a, r.cfg.Token), Oracle: "every field as sent", Mismatches: lost, Curl: r.curlFor(judge.EmptyPatch(id), session)}}
	return false
}

// sendAtOnce sends the requests all at once, as far as the client allows; an answer
// other than 200 is an error.
func (r *runner) sendAtOnce(ctx context.Context, session string, reqs []judge.Request) []error {
	errs := make([]error, len(reqs))
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			a, err := r.send(ctx, session, reqs[i])
			if err == nil && a.Status != http.StatusOK {
				err = fmt.Errorf("answered %d", a.Status)
			}
			errs[i] = err
		}()
	}
	close(release)
	wg.Wait()
	return errs
}

// probeFields are the fields of a provider that a one-field update sets: the field
// must survive the union pick on its own.
func (r *runner) probeFields(provider string) []string {
	p := r.doc.Provider(provider)
	var out []string
	for _, name := range r.gen.settable(provider) {
		body := pyjson.ObjectValue([]pyjson.Member{{Key: name, Value: pyjson.StringValue("x")}})
		res := r.doc.Union.Validate(body)
		if res.Branch != nil && res.Branch.Has(name) && p.Index(name) >= 0 && name != spec.IDField && name != spec.ProviderField {
			if f := p.Fields[p.Index(name)]; f.Check(pyjson.StringValue("x")) == nil {
				out = append(out, name)
			}
		}
	}
	return out
}
