package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
	"github.com/verbex/verbex-mock/scenarios"
)

// Config says what to check and how.
type Config struct {
	// Target is the base URL of the implementation under test. Handler may be given
	// instead: it is then served on a loopback port for the run.
	Target  string
	Handler http.Handler
	// Spec is the OpenAPI document (nil: the embedded one).
	Spec []byte
	// Scenarios to run (nil: the embedded suite).
	Scenarios []*Scenario
	// States is the provider-state route: a URL, or a path on the target such as
	// "/__admin/states". Empty means the target has none; then SIPID, PiaID and
	// TwilioID name numbers the runner may change (and restores afterwards).
	States                 string
	SIPID, PiaID, TwilioID string
	// Vars are extra variables for the scenarios' templates.
	Vars map[string]string
	// Token is sent as "Authorization: Bearer …" and redacted everywhere.
	Token string
	// Tags keeps scenarios with one of these tags; Run those whose name matches.
	Tags []string
	Run  *regexp.Regexp
	// Parallel runs this many scenarios at once (with a states route only: each gets
	// a session of its own). 0 means 1.
	Parallel int
	// Timeout bounds each request. 0 means 10s.
	Timeout time.Duration
	// DryRun checks the scenarios and reports what would run, sending nothing.
	DryRun bool
	// Client sends the requests (nil: a default client).
	Client *http.Client
	// Progress receives a line per scenario as it ends (nil: none).
	Progress io.Writer
	// Status keeps a line on how far the run is: cases done and planned, failures,
	// rate, time left (W nil: none).
	Status StatusLine

	// Oracle answers the same requests as the target is sent, in-process: a handler
	// speaking the fake's protocol (sessions by protocol.SessionHeader, provider
	// states at protocol.StatesPath), such as mock.New with the same document. Nil
	// turns generated cases off; the report says so.
	Oracle http.Handler
	// Generate is how many differential cases to generate from the document: 0
	// selects DefaultGenerate, a negative number turns generation off.
	Generate int
	// Seed seeds generation; 0 picks one at random (reported, for --seed and --replay).
	Seed uint64
	// Replay runs only the generated case with this index (Seed must be given) and
	// no scenarios. Negative or nil: no replay.
	Replay *int
	// Strict also compares what the document leaves to the implementation (the
	// error and message of a 404/500 ErrorResponse, the Location's scheme and
	// host, object key order).
	Strict bool
	// IDs name numbers the run may change on a target without a states route,
	// provider → id; SIPID, PiaID and TwilioID are shorthands for three of them.
	IDs map[string]string
	// Rate limits requests to the target per second: 0 means no limit. Without a
	// states route RateSet false selects DefaultRate.
	Rate    float64
	RateSet bool
	// MaxDuration stops starting scenarios and cases once it has passed; what did
	// not run is reported as skipped. 0 means no limit.
	MaxDuration time.Duration
	// UserAgent is sent with every request (empty: DefaultUserAgent).
	UserAgent string
}

// Defaults of Config.
const (
	DefaultGenerate  = 300
	DefaultRate      = 10 // requests per second to a real service (named numbers)
	DefaultUserAgent = "verbex-mock-contract"
)

// ErrUnreachable is a target that did not answer the preflight request.
var ErrUnreachable = errors.New("contract: target unreachable")

// ConfigError is a configuration the run cannot start with.
type ConfigError struct {
	Msg string
	// Hint is a flag that would likely fix it ("--states /__admin/states"), or "".
	Hint string
}

func (e *ConfigError) Error() string { return "contract: " + e.Msg }

// SessionHeader isolates each scenario on targets that support sessions (the fake);
// others ignore it.
const SessionHeader = protocol.SessionHeader

// Run checks the target against the scenarios. The error is for a run that could not
// happen (a scenario or configuration error, an unreachable target); contract
// failures are in the Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.run(ctx)
}

type runner struct {
	cfg       Config
	limit     *limiter
	deadline  time.Time
	oracle    *judge.Oracle
	judge     *judge.Judge
	gen       *generator
	doc       *spec.Document
	scenarios []*Scenario
	client    *http.Client
	states    stateProvider
	runID     string
	progress  sync.Mutex
	meter     *meter
	closers   []func()
	hygiene   hygiene
}

func newRunner(cfg Config) (*runner, error) {
	r := &runner{cfg: cfg}
	specBytes := cfg.Spec
	if specBytes == nil {
		specBytes = fixtures.OpenAPI()
	}
	var err error
	if r.doc, err = spec.Load(specBytes); err != nil {
		return nil, &ConfigError{Msg: "spec: " + err.Error()}
	}
	r.judge = &judge.Judge{Doc: r.doc, Strict: cfg.Strict}
	r.scenarios = cfg.Scenarios
	if r.scenarios == nil {
		if r.scenarios, err = LoadFS(scenarios.FS); err != nil {
			return nil, err
		}
	}
	if err := Lint(r.doc, r.scenarios); err != nil {
		return nil, err
	}
	r.scenarios = Select(r.scenarios, cfg.Tags, cfg.Run)
	if r.cfg.Timeout == 0 {
		r.cfg.Timeout = 10 * time.Second
	}
	if r.cfg.Parallel <= 0 {
		r.cfg.Parallel = 1
	}
	r.client = cfg.Client
	if r.client == nil {
		r.client = &http.Client{Timeout: r.cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	r.useResilientTransport()
	if cfg.Handler != nil {
		ts := httptest.NewServer(cfg.Handler)
		r.closers = append(r.closers, ts.Close)
		r.cfg.Target = ts.URL
	}
	r.cfg.Target = strings.TrimRight(r.cfg.Target, "/")
	if r.cfg.UserAgent == "" {
		r.cfg.UserAgent = DefaultUserAgent
	}
	ids := map[string]string{}
	for p, id := range cfg.IDs {
		if r.doc.Provider(p) == nil {
			return nil, &ConfigError{Msg: fmt.Sprintf("--id %s=%s: the document has no provider %q (providers: %s)", p, id, p, strings.Join(r.doc.ProviderNames(), ", "))}
		}
		ids[p] = id
	}
	for p, id := range map[string]string{"sip": cfg.SIPID, "pia": cfg.PiaID, "twilio": cfg.TwilioID} {
		if id != "" {
			ids[p] = id
		}
	}
	r.cfg.IDs = ids
	rate := r.cfg.Rate
	if !r.cfg.RateSet && r.cfg.States == "" {
		rate = DefaultRate
	}
	if rate < 0 {
		return nil, &ConfigError{Msg: fmt.Sprintf("rate %v: want 0 (no limit) or more requests per second", rate)}
	}
	r.limit = newLimiter(rate)
	if r.cfg.Replay != nil && *r.cfg.Replay >= 0 && r.cfg.Seed == 0 {
		return nil, &ConfigError{Msg: "replay needs the seed of the run (SEED:INDEX)"}
	}
	if r.cfg.Target == "" && !cfg.DryRun {
		return nil, &ConfigError{Msg: "no target: give a URL (--target) or a Handler"}
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r.runID = hex.EncodeToString(b)
	return r, nil
}

func (r *runner) close() {
	for _, c := range r.closers {
		c()
	}
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	rep := &Report{Target: r.cfg.Target, Started: time.Now()}
	defer rep.finish()
	defer func() { rep.Transport = r.transportNotes() }()
	replay := r.cfg.Replay != nil && *r.cfg.Replay >= 0
	if r.cfg.DryRun {
		rep.DryRun = true
		for _, sc := range r.scenarios {
			rep.add(ScenarioResult{Name: sc.Name, File: sc.File, Tags: sc.Tags, Status: StatusSkipped, Reason: "dry run: " + r.plan(sc)})
		}
		return rep, nil
	}
	if r.cfg.MaxDuration > 0 {
		r.deadline = time.Now().Add(r.cfg.MaxDuration)
	}
	stopMeter := r.startMeter()
	defer stopMeter()
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}
	if r.cfg.States != "" {
		h := &httpStates{r: r, url: r.stateURL()}
		if err := h.check(ctx); err != nil {
			return nil, err
		}
		r.states = h
	} else {
		ids := &idStates{r: r, ids: r.cfg.IDs}
		failures, err := ids.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		if len(failures) > 0 {
			// The target's own answer to a read is off the document: nothing can be
			// compared against it, and nothing was changed, so nothing to restore.
			for _, f := range failures {
				rep.add(f)
			}
			return rep, nil
		}
		r.states = ids
		defer func() { rep.Restored = ids.restore(context.WithoutCancel(ctx)) }()
		r.cfg.Parallel = 1 // the given numbers are shared by every scenario
	}
	if !replay {
		results := make([]ScenarioResult, len(r.scenarios))
		sem := make(chan struct{}, r.cfg.Parallel)
		var wg sync.WaitGroup
		for i, sc := range r.scenarios {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if r.overBudget() {
					results[i] = ScenarioResult{Name: sc.Name, File: sc.File, Line: sc.Line, Tags: sc.Tags, Rule: sc.Rule, Status: StatusSkipped, Reason: skipOverBudget}
				} else {
					results[i] = r.scenario(ctx, sc, fmt.Sprintf("contract-%s-%d", r.runID, i))
				}
				r.report(results[i])
			}()
		}
		wg.Wait()
		for _, res := range results {
			rep.add(res)
		}
	}
	if ctx.Err() == nil {
		rep.Generated = r.generated(ctx)
	}
	return rep, ctx.Err()
}

// overBudget reports whether the time budget is spent.
func (r *runner) overBudget() bool {
	return !r.deadline.IsZero() && time.Now().After(r.deadline)
}

func (r *runner) stateURL() string {
	if strings.HasPrefix(r.cfg.States, "/") {
		return r.cfg.Target + r.cfg.States
	}
	return r.cfg.States
}

// plan says how a scenario's states would be provided.
func (r *runner) plan(sc *Scenario) string {
	if skip := r.wouldSkip(sc); skip != "" {
		return "would be skipped: " + skip
	}
	var sends []string
	for i := range sc.Steps {
		for _, one := range sc.Steps[i].requests() {
			sends = append(sends, one.Request.Method+" "+one.Request.Path+" "+bodySummary(&one.Request))
		}
	}
	var given []string
	for _, g := range sc.Given {
		given = append(given, fmt.Sprintf("%q", g.State))
	}
	out := "would send " + strings.Join(sends, "; ")
	if len(given) > 0 {
		out += " (given " + strings.Join(given, ", ") + ")"
	}
	return out
}

// wouldSkip says why a scenario would be skipped, as far as it can be known without
// sending anything: on a target without a states route, what the given numbers
// (--id PROVIDER=ID) cannot provide. With a states route (or no target named) nothing is
// known until it is asked.
func (r *runner) wouldSkip(sc *Scenario) string {
	if r.cfg.States != "" || r.cfg.Target == "" {
		return ""
	}
	used := map[string]bool{}
	for _, g := range sc.Given {
		if g.State == protocol.StateNoPhoneNumber {
			continue
		}
		prov := r.providerOf(g.State)
		switch {
		case prov == nil:
			return skipNoStatesRoute(g.State)
		case r.cfg.IDs[prov.Name] == "":
			return skipNoNumber(g.State, prov.Name)
		case used[prov.Name]:
			return skipTwoNumbers(prov.Name)
		}
		used[prov.Name] = true
	}
	return ""
}

// bodySummary names what a request sends: the JSON body's top-level keys, its type,
// or the raw bytes' length.
func bodySummary(req *Request) string {
	switch {
	case req.Raw != nil:
		return fmt.Sprintf("(raw, %d bytes)", len(*req.Raw))
	case req.JSON == nil:
		return "(no body)"
	case req.JSON.Kind == pyjson.Object:
		keys := make([]string, len(req.JSON.Obj))
		for i, m := range req.JSON.Obj {
			keys[i] = m.Key
		}
		return "{" + strings.Join(keys, ", ") + "}"
	default:
		return "(JSON " + req.JSON.Kind.String() + ")"
	}
}

// preflight sends one harmless request (an empty PATCH to an id nobody has) so that a
// target that never answers is told apart from a contract failure.
func (r *runner) preflight(ctx context.Context) error {
	req, err := judge.EmptyPatch(randomID()).HTTP(ctx, r.cfg.Target)
	if err != nil {
		return &ConfigError{Msg: fmt.Sprintf("target %q: %v", r.cfg.Target, err)}
	}
	r.authorize(req)
	resp, err := r.do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, r.cfg.Target, judge.RedactText(err.Error(), r.cfg.Token))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil
}

// do sends one request to the target (or its states route): it waits for the rate
// limit and sets the User-Agent.
func (r *runner) do(req *http.Request) (*http.Response, error) {
	if err := r.limit.wait(req.Context()); err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", r.cfg.UserAgent)
	return r.client.Do(req)
}

func (r *runner) authorize(req *http.Request) {
	if r.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.Token)
	}
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (r *runner) report(res ScenarioResult) {
	defer r.meter.finished(res.Status)
	if r.cfg.Progress == nil {
		return
	}
	r.progress.Lock()
	defer r.progress.Unlock()
	line := fmt.Sprintf("%-7s %s (%s", strings.ToUpper(res.Status), res.Name, res.File)
	if res.Reason != "" && res.Status != StatusPassed {
		line += ": " + protocol.RedactText(res.Reason) // it may quote what the target sent
	}
	fmt.Fprintf(r.cfg.Progress, "%s) %.1fms\n", line, res.DurationMS)
}

// scenario runs one scenario: its states, then its steps until one fails.
func (r *runner) scenario(ctx context.Context, sc *Scenario, session string) (res ScenarioResult) {
	start := time.Now()
	res = ScenarioResult{Name: sc.Name, File: sc.File, Line: sc.Line, Description: sc.Description, Rule: sc.Rule, Tags: sc.Tags, Status: StatusPassed}
	defer func() { res.DurationMS = float64(time.Since(start).Microseconds()) / 1000 }()
	if reason := r.otherBranches(sc); reason != "" {
		res.Status, res.Reason = StatusSkipped, reason
		return res
	}
	v := vars{}
	for k, val := range r.cfg.Vars {
		v[k] = pyjson.StringValue(val)
	}
	for _, g := range sc.Given {
		params := make(map[string]pyjson.Value, len(g.Params))
		for k, p := range g.Params {
			val, err := v.render(p)
			if err != nil {
				res.Status, res.Reason = StatusError, fmt.Sprintf("%s:%d: state %q: params.%s: %v", sc.File, sc.Line, g.State, k, err)
				return res
			}
			params[k] = val
		}
		g.Params = params
		got, skip, err := r.states.provide(ctx, session, g)
		if skip != "" {
			res.Status, res.Reason = StatusSkipped, skip
			return res
		}
		if err != nil {
			res.Status, res.Reason = StatusFailed, fmt.Sprintf("state %q: %v", g.State, err)
			return res
		}
		for k, val := range got {
			if g.As != "" {
				k = g.As + "." + k
			}
			v[k] = val
		}
	}
	for i := range sc.Steps {
		st := r.stepOrParallel(ctx, sc, &sc.Steps[i], v, session)
		res.Steps = append(res.Steps, st)
		if st.Error != "" {
			res.Status, res.Reason = StatusError, st.Error
			return res
		}
		if len(st.Failures) > 0 {
			res.Status = StatusFailed
			res.Reason = fmt.Sprintf("%s: %s", st.Name, st.Failures[0].Message)
			return res
		}
	}
	return res
}

// otherBranches says why a scenario cannot hold for the document: an expected 422
// lists the errors of request branches (loc ["body", TITLE, …]) other than the
// document's, which pydantic reports all of, in order. The embedded suite is written
// for the seed's three branches; against a document with a fourth, those bodies are
// another document's contract, and generated cases check the same rules from the
// document itself.
func (r *runner) otherBranches(sc *Scenario) string {
	if !r.doc.Union.Titled {
		return ""
	}
	var have []string
	for _, b := range r.doc.Union.Branches {
		have = append(have, b.Title)
	}
	for _, st := range sc.Steps {
		if st.Expect.Body == nil {
			continue
		}
		named := branchTitles(*st.Expect.Body, nil)
		if len(named) == 0 {
			continue
		}
		var extra, absent []string
		for _, t := range have {
			if !slices.Contains(named, t) {
				extra = append(extra, t)
			}
		}
		for _, t := range named {
			if !slices.Contains(have, t) && !slices.Contains(absent, t) {
				absent = append(absent, t)
			}
		}
		switch {
		case len(absent) > 0:
			return fmt.Sprintf("its 422 bodies are another document's: this one has no request branch %s (generated cases check the rule from the document)", strings.Join(absent, ", "))
		case len(extra) > 0:
			return fmt.Sprintf("its 422 bodies are another document's: this one also has request branch %s (generated cases check the rule from the document)", strings.Join(extra, ", "))
		}
	}
	return ""
}

// branchTitles collects the branch titles that expected validation errors name
// (loc ["body", TITLE, …]).
func branchTitles(v pyjson.Value, out []string) []string {
	switch v.Kind {
	case pyjson.Object:
		if loc, ok := v.Get("loc"); ok && loc.Kind == pyjson.Array && len(loc.Arr) >= 2 &&
			loc.Arr[0].Kind == pyjson.String && loc.Arr[0].Str == "body" && loc.Arr[1].Kind == pyjson.String {
			out = append(out, loc.Arr[1].Str)
		}
		for _, m := range v.Obj {
			out = branchTitles(m.Value, out)
		}
	case pyjson.Array:
		for _, e := range v.Arr {
			out = branchTitles(e, out)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStrings(s []string) []string { sort.Strings(s); return s }
