package contract

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// stepOrParallel runs a step; a parallel one sends its requests all at once and
// fails if any answer does.
func (r *runner) stepOrParallel(ctx context.Context, sc *Scenario, s *Step, v vars, session string) StepResult {
	if len(s.Parallel) == 0 {
		return r.step(ctx, sc, s, v, session)
	}
	ones := s.requests()
	results := make([]StepResult, len(ones))
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			results[i] = r.step(ctx, sc, &ones[i], v, session)
		}()
	}
	close(release)
	wg.Wait()
	out := results[0]
	out.Failures, out.Error = nil, ""
	var methods []string
	for i, res := range results {
		methods = append(methods, res.Method)
		if res.Error != "" && out.Error == "" {
			out.Error = res.Error
		}
		for _, f := range res.Failures {
			f.Message = fmt.Sprintf("parallel request %d: %s", i+1, f.Message)
			out.Failures = append(out.Failures, f)
		}
		if len(res.Failures) > 0 && len(out.Failures) == len(res.Failures) {
			out.Status, out.ResponseBody, out.Curl, out.RequestBody, out.URL = res.Status, res.ResponseBody, res.Curl, res.RequestBody, res.URL
		}
	}
	out.Method = fmt.Sprintf("%d× parallel %s", len(results), strings.Join(slices.Compact(methods), "/"))
	return out
}

// step sends one request and checks the answer against the document and the
// expectation.
func (r *runner) step(ctx context.Context, sc *Scenario, s *Step, v vars, session string) StepResult {
	c := &stepCheck{res: StepResult{Name: s.Name, Line: s.Line}, file: sc.File, s: s, v: v}
	req, body, err := r.stepRequest(ctx, c, session)
	if err != nil {
		return c.res
	}
	c.res.RequestBody = judge.RedactBody(body, r.cfg.Token)
	c.res.Curl = r.curl(req, body)
	start := time.Now()
	resp, err := r.do(req)
	c.res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		c.fail("transport", "request failed: "+judge.RedactText(err.Error(), r.cfg.Token))
		return c.res
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.fail("transport", "reading the answer failed: "+err.Error())
	}
	c.res.Status = resp.StatusCode
	c.res.ResponseHeaders = map[string]string{"Content-Type": resp.Header.Get("Content-Type")}
	c.res.ResponseBody = judge.RedactBody(respBody, r.cfg.Token)
	// 1. The document, for every answer to its operation, but the framework's own
	// answers to a request meant to be off it (the real service sends those too).
	if !(s.Invalid && frameworkAnswer(resp.StatusCode, resp.Header, respBody)) {
		for _, p := range r.doc.CheckResponse(req.Method, req.URL.Path, resp.StatusCode, resp.Header, respBody) {
			c.fail(p.Kind, p.Message)
		}
	}
	// 2. The expectation, then 3. the captures, for later steps.
	if c.expectation(resp, respBody) == nil {
		c.captures(resp, respBody)
	}
	return c.res
}

// stepCheck is one step's result as it is being made.
type stepCheck struct {
	res  StepResult
	file string
	s    *Step
	v    vars
}

// inError marks a mistake in the scenario itself, located by file and line.
func (c *stepCheck) inError(what string, err error) error {
	c.res.Error = fmt.Sprintf("%s:%d: %s: %s: %v", c.file, c.s.Line, c.s.Name, what, err)
	return err
}

func (c *stepCheck) fail(kind, msg string, mm ...Mismatch) {
	c.res.Failures = append(c.res.Failures, Failure{Kind: kind, Message: msg, Mismatches: mm})
}

// stepRequest renders the step's request and builds it; an error is in c.res.
func (r *runner) stepRequest(ctx context.Context, c *stepCheck, session string) (*http.Request, []byte, error) {
	s, v := c.s, c.v
	rendered, body, contentType, err := c.render()
	if err != nil {
		return nil, nil, err
	}
	if !s.Invalid {
		if err := checkRequest(r.doc, &rendered); err != nil {
			return nil, nil, c.inError("request is off the document but not marked invalid", err)
		}
	}
	w := judge.Request{Method: s.Request.Method, Path: rendered.Request.Path, Body: body}
	if contentType != "" {
		w.ContentType = &contentType
	}
	req, err := w.HTTP(ctx, r.cfg.Target)
	if err != nil {
		return nil, nil, c.inError("request", err)
	}
	r.authorize(req)
	if r.cfg.States != "" {
		req.Header.Set(SessionHeader, session)
	}
	for k, hv := range s.Request.Headers {
		val, err := v.renderString(hv)
		if err != nil {
			return nil, nil, c.inError("header "+k, err)
		}
		req.Header.Set(k, val)
	}
	c.res.Method, c.res.URL = req.Method, r.cfg.Target+w.Path
	return req, body, nil
}

// render fills the step's templates: the path and the body, in its encoding.
func (c *stepCheck) render() (rendered Step, body []byte, contentType string, err error) {
	s, v := c.s, c.v
	rendered = *s
	if rendered.Request.Path, err = v.renderString(s.Request.Path); err != nil {
		return rendered, nil, "", c.inError("path", err)
	}
	contentType = judge.JSONType
	if s.Request.ContentType != nil {
		contentType = *s.Request.ContentType
	}
	switch {
	case s.Request.JSON != nil:
		val, err := v.render(*s.Request.JSON)
		if err != nil {
			return rendered, nil, "", c.inError("json", err)
		}
		rendered.Request.JSON = &val
		if body, err = pyjson.Append(nil, val); err != nil {
			return rendered, nil, "", c.inError("json", err)
		}
	case s.Request.Raw != nil:
		raw, err := v.renderString(*s.Request.Raw)
		if err != nil {
			return rendered, nil, "", c.inError("raw", err)
		}
		rendered.Request.Raw = &raw
		body = []byte(raw)
	case s.Request.ContentType == nil:
		contentType = ""
	}
	if enc := s.Request.Encoding; enc != "" && enc != "utf-8" {
		body = encode(string(body), enc)
	}
	return rendered, body, contentType, nil
}

// expectation checks the status, headers and body the step expects.
func (c *stepCheck) expectation(resp *http.Response, respBody []byte) error {
	s, v := c.s, c.v
	if resp.StatusCode != s.Expect.Status {
		c.fail("status", fmt.Sprintf("status %d, expected %d", resp.StatusCode, s.Expect.Status),
			Mismatch{Path: "status", Expected: fmt.Sprint(s.Expect.Status), Got: fmt.Sprint(resp.StatusCode)})
	}
	for _, name := range sortedKeys(s.Expect.Headers) {
		want, err := v.render(s.Expect.Headers[name])
		if err != nil {
			return c.inError("expect.headers."+name, err)
		}
		var got *pyjson.Value
		if vals, ok := resp.Header[http.CanonicalHeaderKey(name)]; ok {
			g := pyjson.StringValue(strings.Join(vals, ", "))
			got = &g
		}
		if mm := match("header "+name, want, got, false, nil); len(mm) > 0 {
			c.fail("header", mm[0].String(), mm...)
		}
	}
	if s.Expect.Body == nil {
		return nil
	}
	want, err := v.render(*s.Expect.Body)
	if err != nil {
		return c.inError("expect.body", err)
	}
	c.res.ExpectedBody = judge.RedactValue(want)
	decoded, err := pyjson.Decode(respBody)
	if err != nil {
		c.fail("body", "the answer is not JSON", Mismatch{Path: "$", Expected: text(want), Got: string(judge.Truncate(respBody))})
	} else if mm := match("$", want, &decoded, s.Expect.Exact, nil); len(mm) > 0 {
		msg := mm[0].String()
		if len(mm) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(mm)-1)
		}
		c.fail("body", msg, mm...)
	}
	return nil
}

// captures keeps values of the answer for later steps.
func (c *stepCheck) captures(resp *http.Response, respBody []byte) {
	var decoded *pyjson.Value
	if d, err := pyjson.Decode(respBody); err == nil {
		decoded = &d
	}
	for name, p := range c.s.Capture {
		val, ok := capture(p, resp, decoded)
		if !ok {
			c.fail("capture", fmt.Sprintf("capture %s: nothing at %s", name, p))
			continue
		}
		c.v[name] = val
	}
}

// frameworkAnswer: Starlette's plain-text 500 or FastAPI's 400 for a body json.loads
// cannot decode, the two answers the document does not list that FastAPI sends.
func frameworkAnswer(status int, h http.Header, body []byte) bool {
	switch status {
	case http.StatusInternalServerError:
		return strings.HasPrefix(h.Get("Content-Type"), "text/plain") && string(body) == "Internal Server Error"
	case http.StatusBadRequest:
		return string(body) == `{"detail":"There was an error parsing the body"}`
	}
	return false
}

func capture(p string, resp *http.Response, body *pyjson.Value) (pyjson.Value, bool) {
	switch {
	case p == "status":
		return pyjson.NumberValue(fmt.Sprint(resp.StatusCode)), true
	case strings.HasPrefix(p, "header."):
		h := resp.Header.Get(strings.TrimPrefix(p, "header."))
		return pyjson.StringValue(h), h != ""
	case body == nil:
		return pyjson.Value{}, false
	case p == "body":
		return *body, true
	default:
		return walk(*body, strings.Split(strings.TrimPrefix(p, "body."), "."))
	}
}
