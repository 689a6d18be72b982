package contract_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// maxLinesPerFailure is the README's bound on the text of one distinct failure.
const maxLinesPerFailure = 40

// TestReportGroupsIdenticalDifferences: a one-flaw fake that makes the same
// difference in many cases gives one group under the rule that explains it, with the
// count, the first case and both statuses, each failure's text within the bound; the
// JSON keeps every case and JUnit stays XML.
func TestReportGroupsIdenticalDifferences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rule  string
		flaw  func(r *http.Request, body []byte, a *answer)
		wants []string // in the text
	}{
		{"a 500 for every valid update", judge.RuleErrors, func(r *http.Request, body []byte, a *answer) {
			if isOp(r) && a.status == http.StatusOK && strings.TrimSpace(string(body)) != "{}" {
				*a = sendJSON(http.StatusInternalServerError, `{"error":"internal","message":"boom"}`)
			}
		}, []string{"oracle: 200", "target: 500", `"message":"boom"`}},
		{"one field changed in every answer", judge.RuleUpdate, func(r *http.Request, body []byte, a *answer) {
			if isOp(r) && a.status == http.StatusOK {
				rewriteJSON(a, func(v *pyjson.Value) { v.Set("friendly_name", pyjson.StringValue("Renamed")) })
			}
		}, []string{"$.friendly_name", `"Renamed"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			rep := defaultRun(t, wrap(func(r *http.Request, body []byte) answer {
				a := through(fake, r, body)
				tc.flaw(r, body, &a)
				return a
			}), 1)
			var out bytes.Buffer
			if err := rep.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			text := out.String()
			groups, heading := 0, ""
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "=== ") && strings.Contains(line, strings.ToUpper(tc.rule)+":") {
					heading = line
				}
				if strings.Contains(line, "× the same difference in") && strings.Contains(line, "generated cases") {
					groups++
				}
			}
			if heading == "" {
				t.Errorf("no failure filed under %q:\n%s", tc.rule, text)
			}
			if groups != 1 {
				t.Errorf("%d groups of generated cases, want 1:\n%s", groups, text)
			}
			if want := fmt.Sprintf("%d× the same difference in %d generated cases: first ", rep.Generated.Failed-1, rep.Generated.Failed-1); !strings.Contains(text, want) {
				t.Errorf("the count (%d failed, the probe apart) is not %q:\n%s", rep.Generated.Failed, want, text)
			}
			for _, want := range tc.wants {
				if !strings.Contains(text, want) {
					t.Errorf("the text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "got absent") || strings.Contains(text, "target absent") {
				t.Errorf("the text lists fields as absent:\n%s", text)
			}
			for i, block := range failureBlocks(text) {
				if n := strings.Count(block, "\n"); n > maxLinesPerFailure {
					t.Errorf("failure %d is %d lines (at most %d):\n%s", i, n, maxLinesPerFailure, block)
				}
			}
			if broken := rep.RulesBroken(); broken[tc.rule] < rep.Generated.Failed-1 {
				t.Errorf("rules broken %v: %q should hold every generated failure", broken, tc.rule)
			}
			var js bytes.Buffer
			_ = rep.WriteJSON(&js)
			var back contract.Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Generated.Failed != rep.Generated.Failed || countSteps(back) < rep.Generated.Failed {
				t.Errorf("the JSON does not keep every failure: %v", err)
			}
			var junit bytes.Buffer
			if err := rep.WriteJUnit(&junit); err != nil {
				t.Fatal(err)
			}
			var suite struct {
				Cases []struct {
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			}
			if err := xml.Unmarshal(junit.Bytes(), &suite); err != nil {
				t.Errorf("JUnit is not XML: %v", err)
			}
		})
	}
}

// failureBlocks cuts a text report into its distinct failures: each starts at a
// group's heading, or at a FAILED line no heading leads.
func failureBlocks(text string) []string {
	var out []string
	var cur strings.Builder
	lead := false
	for _, line := range strings.SplitAfter(text, "\n") {
		starts := strings.Contains(line, "× the same difference in") || (strings.HasPrefix(line, "FAILED ") && !lead) || strings.HasPrefix(line, "=== ")
		if starts && cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
		if strings.TrimSpace(line) != "" {
			lead = strings.Contains(line, "× the same difference in")
		}
		cur.WriteString(line)
	}
	return append(out, cur.String())
}

func countSteps(r contract.Report) int {
	n := 0
	for _, c := range r.Generated.Cases {
		if c.Status == contract.StatusFailed && len(c.Steps) > 0 {
			n++
		}
	}
	return n
}
