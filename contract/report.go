package contract

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
)

// Scenario outcomes.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	// StatusError is a mistake in the scenario itself found while running it (an
	// unknown variable, a request off the document not marked invalid).
	StatusError = "error"
)

// Report is the outcome of a run.
type Report struct {
	Target    string           `json:"target"`
	Started   time.Time        `json:"started"`
	Scenarios []ScenarioResult `json:"scenarios"`
	Passed    int              `json:"passed"`
	Failed    int              `json:"failed"`
	Skipped   int              `json:"skipped"`
	Errors    int              `json:"errors"`
	// DryRun is a run that sent nothing: each scenario is listed, skipped, with what
	// it would send or why it would be skipped.
	DryRun bool `json:"dry_run,omitempty"`
	// Generated are the differential cases against the oracle (nil: not attempted).
	Generated *GenerationReport `json:"generated,omitempty"`
	// Restored says what happened to the numbers given for a target without states.
	Restored   []string `json:"restored,omitempty"`
	DurationMS float64  `json:"duration_ms"`

	// Transport says what was resent or waited for (nil: nothing); never a failure.
	Transport *judge.TransportNotes `json:"transport,omitempty"`
}

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Name        string       `json:"name"`
	File        string       `json:"file"`
	Line        int          `json:"line,omitempty"`
	Description string       `json:"description,omitempty"`
	Rule        string       `json:"rule,omitempty"`
	Tags        []string     `json:"tags,omitempty"`
	Status      string       `json:"status"`
	Reason      string       `json:"reason,omitempty"`
	Steps       []StepResult `json:"steps,omitempty"`
	DurationMS  float64      `json:"duration_ms"`
}

// StepResult is one request, its answer and what was wrong with it. Secrets are
// redacted in every field.
type StepResult struct {
	Name            string            `json:"name"`
	Line            int               `json:"line"`
	Method          string            `json:"method,omitempty"`
	URL             string            `json:"url,omitempty"`
	RequestBody     string            `json:"request_body,omitempty"`
	Status          int               `json:"status,omitempty"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	ResponseBody    string            `json:"response_body,omitempty"`
	ExpectedBody    string            `json:"expected_body,omitempty"`
	Failures        []Failure         `json:"failures,omitempty"`
	Error           string            `json:"error,omitempty"`
	Curl            string            `json:"curl,omitempty"`
	DurationMS      float64           `json:"duration_ms"`
}

// Failure is one broken check: Kind is status, header, body, capture, transport, or a
// document check (status_code_conformance, content_type_conformance,
// response_schema_conformance).
type Failure struct {
	Kind       string     `json:"kind"`
	Message    string     `json:"message"`
	Mismatches []Mismatch `json:"mismatches,omitempty"`
}

func (r *Report) add(s ScenarioResult) {
	r.Scenarios = append(r.Scenarios, s)
	switch s.Status {
	case StatusPassed:
		r.Passed++
	case StatusFailed:
		r.Failed++
	case StatusSkipped:
		r.Skipped++
	case StatusError:
		r.Errors++
	}
}

func (r *Report) finish() { r.DurationMS = float64(time.Since(r.Started).Microseconds()) / 1000 }

// OK reports whether nothing failed (scenarios and generated cases) and no scenario
// was in error.
func (r *Report) OK() bool {
	return r.Failed == 0 && r.Errors == 0 && (r.Generated == nil || r.Generated.Failed == 0)
}

// SkippedAny is how many scenarios and generated cases did not run.
func (r *Report) SkippedAny() int {
	n := r.Skipped
	if r.Generated != nil {
		n += r.Generated.Skipped
	}
	return n
}

// Summary is the closing line: "N passed, N failed, N skipped, N errors", then the
// generated cases with their seed.
func (r *Report) Summary() string {
	out := fmt.Sprintf("%d passed, %d failed, %d skipped, %d errors", r.Passed, r.Failed, r.Skipped, r.Errors)
	if g := r.Generated; g != nil && g.Off == "" {
		out += fmt.Sprintf("; generated (seed %d): %d passed, %d failed", g.Seed, g.Passed, g.Failed)
		if g.Info > 0 {
			out += fmt.Sprintf(", %d informational", g.Info)
		}
		if g.Skipped > 0 {
			out += fmt.Sprintf(", %d skipped", g.Skipped)
		}
	}
	return out
}

// WriteText writes the failures grouped by the rule broken and, within a rule, by
// difference (failures that differ the same way are counted, the first named and one
// shown), each in at most maxFailureLines lines (expected, got, the differences or,
// when the statuses differ, both bodies, and a curl line that reproduces it); then
// errors, what was skipped, and the closing line.
func (r *Report) WriteText(w io.Writer) error {
	r = r.redacted() // text the target wrote may hold a secret (redact.go)
	ew := &errWriter{w: w}
	for _, group := range r.byRule() {
		ew.printf("\n=== %s: %s\n", strings.ToUpper(group.rule), group.text)
		for _, g := range groupFailures(group.scenarios, group.cases) {
			r.writeGroup(ew, g)
		}
	}
	for _, s := range r.Scenarios {
		if s.Status == StatusError {
			r.writeScenario(ew, s)
		}
	}
	if g := r.Generated; g != nil {
		for _, c := range g.Cases {
			if c.Status == StatusInfo {
				ew.printf("\nINFO %s %s: %s\n", c.ID, c.Category, c.Reason)
			}
		}
	}
	for _, line := range r.Restored {
		ew.printf("restore %s\n", line)
	}
	if g := r.Generated; g != nil {
		if g.Off != "" {
			ew.printf("%s\n", g.Off)
		} else {
			rate := 0.0
			if g.DurationMS > 0 {
				rate = float64(len(g.Cases)) / (g.DurationMS / 1000)
			}
			ew.printf("generated: %d cases from seed %d in %.1fs (%.0f cases/s, %.0f ms shrinking); replay one with --replay %d:INDEX\n",
				len(g.Cases), g.Seed, g.DurationMS/1000, rate, g.ShrinkMS, g.Seed)
		}
	}
	if n := r.SkippedAny(); n > 0 {
		if r.DryRun {
			ew.printf("DRY RUN: %d scenarios, nothing sent\n", n)
		} else {
			ew.printf("SKIPPED %d: the target was not fully checked\n", n)
		}
		for _, s := range r.Scenarios {
			if s.Status == StatusSkipped {
				ew.printf("  skipped %s (%s): %s\n", s.Name, s.File, s.Reason)
			}
		}
		if g := r.Generated; g != nil && g.Skipped > 0 {
			ew.printf("  skipped %d generated cases: %s\n", g.Skipped, firstSkipReason(g))
		}
	}
	if r.Errors > 0 {
		ew.printf("%d scenario errors\n", r.Errors)
	}
	if r.Transport.Any() {
		ew.printf("%s\n", r.Transport.Text())
	}
	ew.printf("%s\n", r.Summary())
	return ew.err
}

func firstSkipReason(g *GenerationReport) string {
	for _, c := range g.Cases {
		if c.Status == StatusSkipped {
			return c.Reason
		}
	}
	return ""
}

type ruleGroup struct {
	rule, text string
	scenarios  []ScenarioResult
	cases      []CaseResult
}

// byRule groups failed scenarios and cases by the rule they broke (one rule for one
// difference: differenceRules), in docs/fidelity.md's order; failures without a
// rule come last.
func (r *Report) byRule() []ruleGroup {
	var groups []ruleGroup
	index := map[string]int{}
	for _, rl := range judge.Rules {
		index[rl.Name] = len(groups)
		groups = append(groups, ruleGroup{rule: rl.Name, text: rl.Text})
	}
	index[""] = len(groups)
	groups = append(groups, ruleGroup{rule: "other", text: "failures no rule explains (transport, setup)"})
	var cases []CaseResult
	if r.Generated != nil {
		cases = r.Generated.Cases
	}
	ruleOf := differenceRules(r.Scenarios, cases)
	for _, s := range r.Scenarios {
		if s.Status == StatusFailed {
			g := &groups[index[ruleOf[scenarioKey(s)]]]
			g.scenarios = append(g.scenarios, s)
		}
	}
	if r.Generated != nil {
		for _, c := range r.Generated.Cases {
			if c.Status == StatusFailed {
				g := &groups[index[ruleOf[caseKey(c)]]]
				g.cases = append(g.cases, c)
			}
		}
	}
	out := groups[:0]
	for _, g := range groups {
		if len(g.scenarios)+len(g.cases) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// RulesBroken reports the rules broken, each with how many failures it had.
func (r *Report) RulesBroken() map[string]int {
	out := map[string]int{}
	for _, g := range r.byRule() {
		out[g.rule] = len(g.scenarios) + len(g.cases)
	}
	return out
}

func (r *Report) writeScenario(ew *errWriter, s ScenarioResult) {
	ew.printf("\n%s %s (%s:%d)\n", strings.ToUpper(s.Status), s.Name, s.File, s.Line)
	if len(s.Steps) == 0 || s.Status == StatusFailed && s.Reason != "" && !stepsFailed(s) {
		ew.printf("  %s\n", s.Reason)
	}
	for _, st := range s.Steps {
		if len(st.Failures) == 0 && st.Error == "" {
			continue
		}
		ew.printf("  step %q (line %d): %s %s\n", st.Name, st.Line, st.Method, st.URL)
		if st.Error != "" {
			ew.printf("    scenario error: %s\n", st.Error)
			continue
		}
		otherStatus := slices.ContainsFunc(st.Failures, func(f Failure) bool { return f.Kind == "status" })
		for _, f := range st.Failures {
			if otherStatus && f.Kind == "body" {
				// Another status has another body: both are shown below, not each
				// field as absent.
				ew.printf("    body: another body (%d differences, in --json)\n", len(f.Mismatches))
				continue
			}
			ew.printf("    %s: %s\n", f.Kind, clip(f.Message))
			if len(f.Mismatches) == 1 && f.Mismatches[0].Path == f.Kind {
				continue // the message says it already (a status mismatch)
			}
			writeDiffs(ew, "      ", f.Mismatches, [2]string{"expected", "got"})
		}
		if st.ExpectedBody != "" {
			ew.printf("    expected body: %s\n", clip(st.ExpectedBody))
		}
		ew.printf("    got:           %d %s\n", st.Status, clip(st.ResponseBody))
		if st.Curl != "" {
			ew.printf("    reproduce:     %s\n", curlShown(st.Curl))
		}
	}
}

func stepsFailed(s ScenarioResult) bool {
	for _, st := range s.Steps {
		if len(st.Failures) > 0 || st.Error != "" {
			return true
		}
	}
	return false
}

func (r *Report) writeCase(ew *errWriter, c CaseResult) {
	ew.printf("\nFAILED generated case %s (%s", c.ID, c.Category)
	if c.Provider != "" {
		ew.printf(", a %s number", c.Provider)
	}
	ew.printf(")\n  %s\n", clip(c.Reason))
	if c.Shrunk != nil {
		ew.printf("  shrunk in %d tries (%.0f ms) from %d steps, first body %s\n", c.Shrunk.Tries, c.Shrunk.DurationMS, c.Shrunk.OriginalSteps, c.Shrunk.OriginalBody)
	}
	for i, st := range c.Steps {
		ct := "no content type"
		if st.ContentType != nil {
			ct = "Content-Type: " + *st.ContentType
		}
		ew.printf("  %d. %s %s (%s) %s\n", i+1, st.Method, clip(st.Path), ct, clip(st.Body))
		if st.Oracle != "" {
			ew.printf("     oracle: %s\n", clip(st.Oracle))
		}
		ew.printf("     target: %s\n", clip(st.Target))
		if !statusDiffers(st.Mismatches) {
			writeDiffs(ew, "       ", st.Mismatches, [2]string{"oracle", "target"})
		}
		if st.Curl != "" {
			ew.printf("     reproduce: %s\n", curlShown(st.Curl))
		}
	}
	writeDiffs(ew, "  ", c.State, [2]string{"oracle", "target"})
	if c.Index >= 0 {
		ew.printf("  replay: --replay %s\n", c.ID)
	}
}

// WriteJSON writes the whole report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	r = r.redacted() // text the target wrote may hold a secret (redact.go)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML: one testcase per scenario, classed by file.
// JUnit XML, as CI tools read it.
type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}
type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}
type junitCase struct {
	Classname  string          `xml:"classname,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Name       string          `xml:"name,attr"`
	Time       string          `xml:"time,attr"`
	Failure    *junitResult    `xml:"failure,omitempty"`
	Error      *junitResult    `xml:"error,omitempty"`
	Skipped    *junitResult    `xml:"skipped,omitempty"`
}
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

func (r *Report) WriteJUnit(w io.Writer) error {
	r = r.redacted() // text the target wrote may hold a secret (redact.go)
	suite := junitSuite{Name: "verbex-mock contract " + r.Target, Tests: len(r.Scenarios), Failures: r.Failed, Errors: r.Errors, Skipped: r.Skipped, Time: seconds(r.DurationMS)}
	for _, s := range r.Scenarios {
		tc := junitCase{Classname: s.File, Name: s.Name, Time: seconds(s.DurationMS)}
		detail := func() string {
			var b strings.Builder
			one := *r
			one.Scenarios, one.Restored, one.Errors, one.Generated, one.Skipped = []ScenarioResult{s}, nil, 0, nil, 0
			_ = one.WriteText(&b)
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(b.String()), one.Summary()))
		}
		switch s.Status {
		case StatusFailed:
			tc.Failure = &junitResult{Message: s.Reason, Type: "contract", Body: detail()}
		case StatusError:
			tc.Error = &junitResult{Message: s.Reason, Type: "scenario", Body: detail()}
		case StatusSkipped:
			tc.Skipped = &junitResult{Message: s.Reason}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if g := r.Generated; g != nil {
		for _, c := range g.Cases {
			tc := junitCase{Classname: "generated", Name: c.ID + " " + c.Category, Time: seconds(c.DurationMS),
				Properties: []junitProperty{{"seed", fmt.Sprint(g.Seed)}, {"replay", "--replay " + c.ID}}}
			suite.Tests++
			switch c.Status {
			case StatusFailed:
				var b strings.Builder
				r.writeCase(&errWriter{w: &b}, c)
				tc.Failure = &junitResult{Message: c.Rule + ": " + c.Reason, Type: c.Rule, Body: strings.TrimSpace(b.String())}
				suite.Failures++
			case StatusSkipped:
				tc.Skipped = &junitResult{Message: c.Reason}
				suite.Skipped++
			case StatusInfo:
				tc.Skipped = &junitResult{Message: "informational: " + c.Reason}
				suite.Skipped++
			}
			suite.Cases = append(suite.Cases, tc)
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// errWriter keeps the first write error; with maxLines it writes at most that many
// lines and counts the rest in cut.
type errWriter struct {
	w        io.Writer
	err      error
	maxLines int
	lines    int
	cut      int
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err != nil {
		return
	}
	s := fmt.Sprintf(format, a...)
	if e.maxLines > 0 {
		var keep strings.Builder
		for _, line := range strings.SplitAfter(s, "\n") {
			switch {
			case line == "":
			case e.lines < e.maxLines:
				keep.WriteString(line)
				if strings.HasSuffix(line, "\n") {
					e.lines++
				}
			case strings.HasSuffix(line, "\n"):
				e.cut++
			}
		}
		s = keep.String()
	}
	_, e.err = io.WriteString(e.w, s)
}
