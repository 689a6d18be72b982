package contract

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/contract/judge"
)

// Bounds of the text report: the whole detail is in --json.
const (
	maxFailureLines = 40  // lines of text per distinct failure
	maxShownBody    = 300 // bytes of a body or a value in a text line
	maxShownDiffs   = 8   // differences listed for one step
	maxShownCurl    = 8 << 10
	maxAlsoIDs      = 8 // other failures named in a group's heading
)

// failureGroup is the failures of one rule that show the same difference: the same
// statuses and the same places differing (values aside).
type failureGroup struct {
	key       string
	scenarios []ScenarioResult
	cases     []CaseResult
}

func (g *failureGroup) count() int { return len(g.scenarios) + len(g.cases) }

// groupFailures groups a rule's failures by their difference, in order of first
// appearance.
func groupFailures(scenarios []ScenarioResult, cases []CaseResult) []*failureGroup {
	var out []*failureGroup
	index := map[string]*failureGroup{}
	group := func(key string) *failureGroup {
		g, ok := index[key]
		if !ok {
			g = &failureGroup{key: key}
			index[key] = g
			out = append(out, g)
		}
		return g
	}
	for _, s := range scenarios {
		g := group(scenarioKey(s))
		g.scenarios = append(g.scenarios, s)
	}
	for _, c := range cases {
		g := group(caseKey(c))
		g.cases = append(g.cases, c)
	}
	return out
}

var arrayIndex = regexp.MustCompile(`\[\d+\]`)

// places are the paths of differences, array indices and repeats aside.
func places(mm []Mismatch) string {
	var out []string
	for _, m := range mm {
		if p := arrayIndex.ReplaceAllString(m.Path, "[]"); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// scenarioDifference says what a failed scenario's first failing step got wrong,
// values aside: another status, or the kinds and places of its differences.
func scenarioDifference(s ScenarioResult) string {
	for _, st := range s.Steps {
		if st.Error != "" {
			return "error"
		}
		var parts []string
		for _, f := range st.Failures {
			if f.Kind == "status" {
				return "status " + f.Message
			}
			parts = append(parts, f.Kind+" "+places(f.Mismatches))
		}
		if len(parts) > 0 {
			return strings.Join(parts, ";")
		}
	}
	return "reason " + s.Reason
}

// caseDifference says how a generated case failed, values aside: the failing step's
// statuses and places, the state's places, or the reason without the case's own ids.
func caseDifference(c CaseResult) string {
	if st, ok := failingStep(c); ok {
		o, t := answerStatus(st.Oracle), answerStatus(st.Target)
		if o != t {
			return fmt.Sprintf("status %d/%d", o, t)
		}
		return fmt.Sprintf("%d %s", o, places(st.Mismatches))
	}
	if len(c.State) > 0 {
		return "state " + places(c.State)
	}
	return "reason " + hexIDs.ReplaceAllString(c.Reason, "ID")
}

var hexIDs = regexp.MustCompile(`[0-9a-f]{24}|contract-[0-9a-z-]+`)

// failingStep is the step whose answers differ.
func failingStep(c CaseResult) (CaseStep, bool) {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if len(c.Steps[i].Mismatches) > 0 {
			return c.Steps[i], true
		}
	}
	return CaseStep{}, false
}

// answerStatus is the status an answer's text starts with (0: none).
func answerStatus(text string) int {
	n, _ := strconv.Atoi(strings.SplitN(text, " ", 2)[0])
	return n
}

// scenarioRule is the rule a failed scenario is filed under: its own, unless the
// target answered a server error where the scenario expected none: that is the
// error path, whatever the scenario was about.
func scenarioRule(s ScenarioResult) string {
	for _, st := range s.Steps {
		for _, f := range st.Failures {
			for _, m := range f.Mismatches {
				want, _ := strconv.Atoi(m.Expected)
				if got, _ := strconv.Atoi(m.Got); f.Kind == "status" && m.Path == "status" && got >= 500 && want > 0 && want < 500 {
					return judge.RuleErrors
				}
			}
		}
	}
	return s.Rule
}

// differenceRules files each difference failures show under one rule: the one most
// of them break (scenarioRule, or the case's diagnosis), the earlier in
// docs/fidelity.md's order on a tie, so that one flaw seen by scenarios and cases of
// many rules is one group, not one per rule. Keys are scenarioKey and caseKey.
func differenceRules(scenarios []ScenarioResult, cases []CaseResult) map[string]string {
	votes := map[string]map[string]int{}
	vote := func(key, rule string) {
		if votes[key] == nil {
			votes[key] = map[string]int{}
		}
		votes[key][rule]++
	}
	for _, s := range scenarios {
		if s.Status == StatusFailed {
			vote(scenarioKey(s), scenarioRule(s))
		}
	}
	for _, c := range cases {
		if c.Status == StatusFailed {
			vote(caseKey(c), c.Rule)
		}
	}
	out := map[string]string{}
	for key, byRule := range votes {
		best, bestN := "", 0
		for rule, n := range byRule {
			if n > bestN || n == bestN && ruleOrder(rule) < ruleOrder(best) {
				best, bestN = rule, n
			}
		}
		out[key] = best
	}
	return out
}

func scenarioKey(s ScenarioResult) string { return "scenario " + scenarioDifference(s) }
func caseKey(c CaseResult) string         { return "case " + caseDifference(c) }

// ruleOrder is a rule's place in judge.Rules (past the end: no rule).
func ruleOrder(rule string) int {
	for i, r := range judge.Rules {
		if r.Name == rule {
			return i
		}
	}
	return len(judge.Rules)
}

// writeGroup writes one distinct failure: how many failed so, the first, and one
// example in detail, within maxFailureLines.
func (r *Report) writeGroup(ew *errWriter, g *failureGroup) {
	lw := &errWriter{w: ew.w, maxLines: maxFailureLines}
	defer func() {
		ew.err = lw.err
		if lw.cut > 0 {
			ew.printf("  … %d more lines: the whole failure is in --json\n", lw.cut)
		}
	}()
	if n := g.count(); n > 1 {
		var ids []string
		for _, s := range g.scenarios {
			ids = append(ids, s.Name)
		}
		for _, c := range g.cases {
			ids = append(ids, c.ID)
		}
		also := strings.Join(ids[1:min(len(ids), maxAlsoIDs+1)], ", ")
		if len(ids) > maxAlsoIDs+1 {
			also += fmt.Sprintf(", … %d more", len(ids)-maxAlsoIDs-1)
		}
		what := "generated cases"
		if len(g.scenarios) > 0 {
			what = "scenarios"
		}
		lw.printf("\n%d× the same difference in %d %s: first %s, also %s; the first is shown\n", n, n, what, ids[0], also)
	}
	if len(g.scenarios) > 0 {
		r.writeScenario(lw, g.scenarios[0])
		return
	}
	r.writeCase(lw, exampleCase(g.cases))
}

// exampleCase is the group's shrunk case if it has one, else its first.
func exampleCase(cs []CaseResult) CaseResult {
	for _, c := range cs {
		if c.Shrunk != nil {
			return c
		}
	}
	return cs[0]
}

// clip cuts a text line to maxShownBody bytes (on a character boundary).
func clip(s string) string {
	if len(s) <= maxShownBody {
		return s
	}
	cut := maxShownBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

// curlShown is a reproduce line for the text report: whole up to maxShownCurl bytes.
func curlShown(curl string) string {
	if len(curl) <= maxShownCurl {
		return curl
	}
	return fmt.Sprintf("(a %d-byte command for a large body: the step's curl in --json)", len(curl))
}

// writeDiffs lists a step's differences, at most maxShownDiffs.
func writeDiffs(ew *errWriter, indent string, mm []Mismatch, sides [2]string) {
	for i, m := range mm {
		if i == maxShownDiffs {
			ew.printf("%s- … and %d more differences (in --json)\n", indent, len(mm)-i)
			return
		}
		ew.printf("%s- %s: %s %s, %s %s\n", indent, m.Path, sides[0], clip(m.Expected), sides[1], clip(m.Got))
	}
}

// statusDiffers: the differences include the status, so the bodies are shown whole
// instead of field by field.
func statusDiffers(mm []Mismatch) bool {
	return slices.ContainsFunc(mm, func(m Mismatch) bool { return m.Path == "status" })
}
