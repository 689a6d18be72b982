package contract

import (
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
)

// redacted is a copy of the report with every text a target wrote redacted
// (protocol.RedactText), for the writers: a body, a header, a difference or a reason
// can quote what the target sent as text (a 422 echoing a form body, a text/plain
// answer), which the JSON-aware redaction where it was recorded does not see. Curl
// lines are left as they are: they carry the credentials as shell variables.
func (r *Report) redacted() *Report {
	c := *r
	c.Scenarios = make([]ScenarioResult, len(r.Scenarios))
	for i, s := range r.Scenarios {
		c.Scenarios[i] = s.redacted()
	}
	c.Restored = redactAll(r.Restored)
	if g := r.Generated; g != nil {
		gc := *g
		gc.Off = protocol.RedactText(g.Off)
		gc.Cases = make([]CaseResult, len(g.Cases))
		for i, cr := range g.Cases {
			gc.Cases[i] = cr.redacted()
		}
		c.Generated = &gc
	}
	return &c
}

func (s ScenarioResult) redacted() ScenarioResult {
	s.Reason = protocol.RedactText(s.Reason)
	steps := make([]StepResult, len(s.Steps))
	for i, st := range s.Steps {
		st.URL = protocol.RedactText(st.URL)
		st.RequestBody = protocol.RedactText(st.RequestBody)
		st.ResponseBody = protocol.RedactText(st.ResponseBody)
		st.ExpectedBody = protocol.RedactText(st.ExpectedBody)
		st.Error = protocol.RedactText(st.Error)
		if st.ResponseHeaders != nil {
			h := make(map[string]string, len(st.ResponseHeaders))
			for k, v := range st.ResponseHeaders {
				h[k] = protocol.RedactHeaderValue(k, v)
			}
			st.ResponseHeaders = h
		}
		failures := make([]Failure, len(st.Failures))
		for j, f := range st.Failures {
			f.Message = protocol.RedactText(f.Message)
			f.Mismatches = judge.RedactMismatches(f.Mismatches)
			failures[j] = f
		}
		st.Failures = failures
		steps[i] = st
	}
	if s.Steps != nil {
		s.Steps = steps
	}
	return s
}

func (c CaseResult) redacted() CaseResult {
	c.Reason = protocol.RedactText(c.Reason)
	c.State = judge.RedactMismatches(c.State)
	if c.Shrunk != nil {
		sh := *c.Shrunk
		sh.OriginalBody = protocol.RedactText(sh.OriginalBody)
		c.Shrunk = &sh
	}
	if c.Steps != nil {
		steps := make([]CaseStep, len(c.Steps))
		for i, st := range c.Steps {
			st.Body = protocol.RedactText(st.Body)
			st.Oracle = protocol.RedactText(st.Oracle)
			st.Target = protocol.RedactText(st.Target)
			st.Mismatches = judge.RedactMismatches(st.Mismatches)
			steps[i] = st
		}
		c.Steps = steps
	}
	return c
}

func redactAll(lines []string) []string {
	if lines == nil {
		return nil
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = protocol.RedactText(l)
	}
	return out
}
