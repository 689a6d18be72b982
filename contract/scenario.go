package contract

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Scenario is one contract scenario: the provider states it needs, then ordered steps.
type Scenario struct {
	// File and Line locate the scenario for reports.
	File        string
	Line        int
	Name        string
	Description string
	// Rule is the docs/fidelity.md rule the scenario pins (one of judge.Rules); a failure is
	// reported under it.
	Rule  string
	Tags  []string
	Given []Given
	Steps []Step
}

// Given is a provider state the scenario needs. Its variables are named
// "As.name" (or just "name" when As is empty).
type Given struct {
	State  string
	Params map[string]pyjson.Value
	As     string
}

// Step is one request and what its answer must be.
type Step struct {
	Line int
	Name string
	// Invalid marks a request that is meant to be off the document (an invalid body,
	// another method, an unrouted path). A request not marked so must be valid.
	Invalid bool
	Request Request
	// Parallel, instead of Request, sends these requests all at once; Expect applies
	// to each answer.
	Parallel []Request
	Expect   Expect
	// Capture stores values of the answer in variables for later steps:
	// "status", "header.Name", "body" or "body.path.0.to".
	Capture map[string]string
}

// Request is a step's request. Every string in it may hold {{ variables }}.
type Request struct {
	Method  string
	Path    string
	Headers map[string]string
	// JSON is the body as JSON (nil: no JSON body). Raw sends bytes as they are.
	JSON        *pyjson.Value
	Raw         *string
	ContentType *string
	// Encoding turns the body text into bytes: utf-8 (default), utf-8-sig (with a
	// BOM), utf-16-le/-be, utf-32-le/-be, or utf-16-bom/utf-32-bom (little endian
	// with a BOM). Anything but UTF-8 is off the document: mark the step invalid.
	Encoding string
}

// Expect is what the answer must be. Body is matched as a subset (objects may have
// more keys) unless Exact; matchers ({"$regex": …}, {"$type": …}, {"$any": true},
// {"$absent": true}, {"$exact": …}) stand for values.
type Expect struct {
	Status  int
	Headers map[string]pyjson.Value
	Body    *pyjson.Value
	Exact   bool
}

// ScenarioError is a mistake in a scenario file; it names the file and line.
type ScenarioError struct {
	File string
	Line int
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// keys a scenario file may use at each level, so that a typo is an error, not a
// silently weaker check.
var allowedKeys = map[string][]string{
	"scenario": {"name", "description", "rule", "tags", "given", "steps"},
	"given":    {"state", "params", "as"},
	"step":     {"name", "invalid", "request", "parallel", "expect", "capture"},
	"request":  {"method", "path", "headers", "json", "raw", "content_type", "encoding"},
	"expect":   {"status", "headers", "body", "exact"},
}

// LoadFS loads every *.yaml and *.yml file of a file system, sorted by name.
func LoadFS(fsys fs.FS) ([]*Scenario, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("contract: reading scenarios: %w", err)
	}
	sort.Strings(names)
	// Every file is read before any error is returned, so one run lists them all.
	var out []*Scenario
	var errs []error
	seen := map[string]string{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, fmt.Errorf("contract: %w", err))
			continue
		}
		sc, err := Parse(n, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[sc.Name]; dup {
			errs = append(errs, &ScenarioError{File: n, Line: sc.Line, Msg: fmt.Sprintf("scenario name %q is also used by %s", sc.Name, prev)})
			continue
		}
		seen[sc.Name] = n
		out = append(out, sc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("contract: no scenario files (*.yaml) found")
	}
	return out, nil
}

// Parse reads one scenario file.
func Parse(file string, data []byte) (*Scenario, error) {
	fail := func(n *yaml.Node, format string, a ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &ScenarioError{File: file, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ScenarioError{File: file, Line: yamlErrorLine(err), Msg: err.Error()}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fail(nil, "want a mapping with name, steps and optionally description, tags, given")
	}
	top := root.Content[0]
	if err := checkKeys(file, top, "scenario"); err != nil {
		return nil, err
	}
	sc := &Scenario{File: file, Line: top.Line}
	for key, val := range pairs(top) {
		switch key.Value {
		case "name":
			sc.Name = val.Value
		case "description":
			sc.Description = val.Value
		case "rule":
			if !judge.KnownRule(val.Value) {
				return nil, fail(val, "rule %q: want one of %s", val.Value, ruleNames())
			}
			sc.Rule = val.Value
		case "tags":
			if err := val.Decode(&sc.Tags); err != nil {
				return nil, fail(val, "tags: want a list of strings")
			}
		case "given":
			if val.Kind != yaml.SequenceNode {
				return nil, fail(val, "given: want a list of states")
			}
			for _, g := range val.Content {
				given, err := parseGiven(file, g)
				if err != nil {
					return nil, err
				}
				sc.Given = append(sc.Given, given)
			}
		case "steps":
			if val.Kind != yaml.SequenceNode {
				return nil, fail(val, "steps: want a list")
			}
			for i, s := range val.Content {
				step, err := parseStep(file, s, i)
				if err != nil {
					return nil, err
				}
				sc.Steps = append(sc.Steps, step)
			}
		}
	}
	if sc.Name == "" {
		return nil, fail(top, "a scenario needs a name")
	}
	if len(sc.Steps) == 0 {
		return nil, fail(top, "scenario %q has no steps", sc.Name)
	}
	return sc, nil
}

// yamlLine finds the line in the parser's messages ("line 3" or "at L3.C1").
var yamlLine = regexp.MustCompile(`line (\d+)|\bL(\d+)\.C\d+`)

func yamlErrorLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscan(m[1]+m[2], &n)
	return n
}

// pairs iterates a mapping node's keys and values.
func pairs(n *yaml.Node) func(func(*yaml.Node, *yaml.Node) bool) {
	return func(yield func(*yaml.Node, *yaml.Node) bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(n.Content[i], n.Content[i+1]) {
				return
			}
		}
	}
}

func checkKeys(file string, n *yaml.Node, what string) error {
	if n.Kind != yaml.MappingNode {
		return &ScenarioError{File: file, Line: n.Line, Msg: fmt.Sprintf("%s: want a mapping", what)}
	}
	for k := range pairs(n) {
		if !slices.Contains(allowedKeys[what], k.Value) {
			return &ScenarioError{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q in %s (want one of %s)", k.Value, what, strings.Join(allowedKeys[what], ", "))}
		}
	}
	return nil
}

func parseGiven(file string, n *yaml.Node) (Given, error) {
	var g Given
	if err := checkKeys(file, n, "given"); err != nil {
		return g, err
	}
	for k, v := range pairs(n) {
		switch k.Value {
		case "state":
			g.State = v.Value
		case "as":
			g.As = v.Value
		case "params":
			val, err := yamlvalue.Node(v)
			if err != nil || val.Kind != pyjson.Object {
				return g, &ScenarioError{File: file, Line: v.Line, Msg: "params: want a mapping of field values"}
			}
			g.Params = map[string]pyjson.Value{}
			for _, m := range val.Obj {
				g.Params[m.Key] = m.Value
			}
		}
	}
	if g.State == "" {
		return g, &ScenarioError{File: file, Line: n.Line, Msg: "given: a state needs a name (state: …)"}
	}
	return g, nil
}

// parseExpect reads a step's expect: status, exact, headers and body.
func parseExpect(file string, v *yaml.Node, e *Expect) error {
	fail := func(at *yaml.Node, format string, a ...any) error {
		return &ScenarioError{File: file, Line: at.Line, Msg: fmt.Sprintf(format, a...)}
	}
	if err := checkKeys(file, v, "expect"); err != nil {
		return err
	}
	for ek, ev := range pairs(v) {
		switch ek.Value {
		case "status":
			if err := ev.Decode(&e.Status); err != nil || e.Status < 100 || e.Status > 599 {
				return fail(ev, "status: want an HTTP status")
			}
		case "exact":
			if err := ev.Decode(&e.Exact); err != nil {
				return fail(ev, "exact: want true or false")
			}
		case "headers":
			hv, err := yamlvalue.Node(ev)
			if err != nil || hv.Kind != pyjson.Object {
				return fail(ev, "headers: want a mapping")
			}
			e.Headers = map[string]pyjson.Value{}
			for _, m := range hv.Obj {
				if err := checkMatchers(m.Value); err != nil {
					return fail(ev, "headers.%s: %v", m.Key, err)
				}
				e.Headers[m.Key] = m.Value
			}
		case "body":
			bv, err := yamlvalue.Node(ev)
			if err != nil {
				return fail(ev, "body: %v", err)
			}
			if err := checkMatchers(bv); err != nil {
				return fail(ev, "body: %v", err)
			}
			e.Body = &bv
		}
	}
	return nil
}

func parseStep(file string, n *yaml.Node, index int) (Step, error) {
	s := Step{Line: n.Line, Name: fmt.Sprintf("step %d", index+1)}
	fail := func(at *yaml.Node, format string, a ...any) error {
		return &ScenarioError{File: file, Line: at.Line, Msg: fmt.Sprintf(format, a...)}
	}
	if err := checkKeys(file, n, "step"); err != nil {
		return s, err
	}
	var haveExpect bool
	for k, v := range pairs(n) {
		switch k.Value {
		case "name":
			s.Name = v.Value
		case "invalid":
			if err := v.Decode(&s.Invalid); err != nil {
				return s, fail(v, "invalid: want true or false")
			}
		case "capture":
			if err := v.Decode(&s.Capture); err != nil {
				return s, fail(v, "capture: want a mapping of variable: path")
			}
			for name, p := range s.Capture {
				if !validCapture(p) {
					return s, fail(v, "capture %s: path %q: want status, header.Name, body or body.a.0.b", name, p)
				}
			}
		case "request":
			req, err := parseRequest(file, v)
			if err != nil {
				return s, err
			}
			s.Request = req
		case "parallel":
			if v.Kind != yaml.SequenceNode || len(v.Content) < 2 {
				return s, fail(v, "parallel: want a list of two or more requests")
			}
			for _, rn := range v.Content {
				req, err := parseRequest(file, rn)
				if err != nil {
					return s, err
				}
				s.Parallel = append(s.Parallel, req)
			}
		case "expect":
			haveExpect = true
			if err := parseExpect(file, v, &s.Expect); err != nil {
				return s, err
			}
		}
	}
	if !haveExpect {
		return s, fail(n, "%s: expect.status is required", s.Name)
	}
	if len(s.Parallel) > 0 {
		switch {
		case s.Request.Method != "":
			return s, fail(n, "%s: give request or parallel, not both", s.Name)
		case len(s.Capture) > 0:
			return s, fail(n, "%s: a parallel step cannot capture (which answer?)", s.Name)
		}
		for _, req := range s.Parallel {
			one := s
			one.Request, one.Parallel = req, nil
			if err := checkStep(file, n, one); err != nil {
				return s, err
			}
		}
		return s, nil
	}
	return s, checkStep(file, n, s)
}

// checkStep checks what one request of a step needs.
func checkStep(file string, n *yaml.Node, s Step) error {
	fail := func(at *yaml.Node, format string, a ...any) error {
		return &ScenarioError{File: file, Line: at.Line, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case s.Request.Method == "":
		return fail(n, "%s: request.method is required", s.Name)
	case !strings.HasPrefix(s.Request.Path, "/"):
		return fail(n, "%s: request.path must start with /", s.Name)
	case s.Expect.Status == 0:
		return fail(n, "%s: expect.status is required", s.Name)
	case s.Request.JSON != nil && s.Request.Raw != nil:
		return fail(n, "%s: give request.json or request.raw, not both", s.Name)
	}
	return nil
}

// requests are the step's requests as steps of one request each.
func (s *Step) requests() []Step {
	if len(s.Parallel) == 0 {
		return []Step{*s}
	}
	out := make([]Step, len(s.Parallel))
	for i, req := range s.Parallel {
		out[i] = *s
		out[i].Request, out[i].Parallel = req, nil
	}
	return out
}

var capturePath = regexp.MustCompile(`^(status|body(\.[^.]+)*|header\.[A-Za-z0-9-]+)$`)

func validCapture(p string) bool { return capturePath.MatchString(p) }

// checkRequest statically checks a step's request against the document: the operation
// exists for its method and path, the content type is the declared one, and the body
// validates against the union. Template placeholders stand for strings.
func checkRequest(doc *spec.Document, s *Step) error {
	p := templatePattern.ReplaceAllString(s.Request.Path, "x")
	if !spec.IsOperation(s.Request.Method, p) {
		return fmt.Errorf("%s %s is not the document's operation (%s %s)", s.Request.Method, s.Request.Path, spec.Method, spec.Path)
	}
	ct := "application/json"
	if s.Request.ContentType != nil {
		ct = *s.Request.ContentType
	}
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return fmt.Errorf("content type %q is not the document's application/json", ct)
	}
	if s.Request.Encoding != "" && s.Request.Encoding != "utf-8" {
		return fmt.Errorf("encoding %s: JSON between systems is UTF-8 (RFC 8259)", s.Request.Encoding)
	}
	var body pyjson.Value
	switch {
	case s.Request.JSON != nil:
		body = placeholderStrings(*s.Request.JSON)
	case s.Request.Raw != nil:
		v, err := pyjson.Decode([]byte(templatePattern.ReplaceAllString(*s.Request.Raw, "x")))
		if err != nil {
			return fmt.Errorf("raw body is not JSON: %v", err)
		}
		body = v
	default:
		if doc.BodyRequired {
			return errors.New("the document requires a body")
		}
		return nil
	}
	if body.Kind == pyjson.Null && doc.BodyRequired {
		return errors.New("the document requires a body; null is none")
	}
	if res := doc.Union.Validate(body); res.Details != nil {
		return fmt.Errorf("the body does not validate: %s at %v", res.Details[0].Msg, locText(res.Details[0].Loc))
	}
	return nil
}

func locText(loc []pyjson.Value) string {
	parts := make([]string, len(loc))
	for i, l := range loc {
		parts[i] = l.Str
	}
	return strings.Join(parts, ".")
}

// placeholderStrings replaces templated values by strings for the static check.
func placeholderStrings(v pyjson.Value) pyjson.Value {
	switch v.Kind {
	case pyjson.String:
		if templatePattern.MatchString(v.Str) {
			return pyjson.StringValue("x")
		}
	case pyjson.Array:
		out := make([]pyjson.Value, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = placeholderStrings(e)
		}
		return pyjson.ArrayValue(out)
	case pyjson.Object:
		out := make([]pyjson.Member, len(v.Obj))
		for i, m := range v.Obj {
			out[i] = pyjson.Member{Key: m.Key, Value: placeholderStrings(m.Value)}
		}
		return pyjson.ObjectValue(out)
	}
	return v
}

// Lint checks every scenario against the document before anything is sent: a request
// not marked invalid must be valid, states must be named, methods real.
func Lint(doc *spec.Document, scenarios []*Scenario) error {
	var errs []error
	for _, sc := range scenarios {
		for i := range sc.Steps {
			s := &sc.Steps[i]
			if slices.ContainsFunc(s.requests(), func(one Step) bool { return !validMethod(one.Request.Method) }) {
				errs = append(errs, &ScenarioError{File: sc.File, Line: s.Line, Msg: fmt.Sprintf("%s: unknown method %q", s.Name, s.Request.Method)})
				continue
			}
			if s.Invalid {
				continue
			}
			for _, one := range s.requests() {
				if err := checkRequest(doc, &one); err != nil {
					errs = append(errs, &ScenarioError{File: sc.File, Line: s.Line, Msg: fmt.Sprintf("%s: request is off the document but not marked invalid: %v", s.Name, err)})
					break
				}
			}
		}
	}
	return errors.Join(errs...)
}

func validMethod(m string) bool {
	return slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}, m)
}

// Select keeps the scenarios that have one of tags (none: all) and whose name matches
// run (nil: all).
func Select(scenarios []*Scenario, tags []string, run *regexp.Regexp) []*Scenario {
	var out []*Scenario
	for _, sc := range scenarios {
		if len(tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(sc.Tags, t) }) {
			continue
		}
		if run != nil && !run.MatchString(sc.Name) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

func ruleNames() string {
	names := make([]string, len(judge.Rules))
	for i, r := range judge.Rules {
		names[i] = fmt.Sprintf("%q", r.Name)
	}
	return strings.Join(names, ", ")
}

// encodingNames are what request.encoding takes: how the body text becomes bytes.
var encodingNames = []string{"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16-bom", "utf-32-bom"}

func parseRequest(file string, v *yaml.Node) (Request, error) {
	var req Request
	fail := func(at *yaml.Node, format string, a ...any) error {
		return &ScenarioError{File: file, Line: at.Line, Msg: fmt.Sprintf(format, a...)}
	}
	if err := checkKeys(file, v, "request"); err != nil {
		return req, err
	}
	for rk, rv := range pairs(v) {
		switch rk.Value {
		case "method":
			req.Method = strings.ToUpper(rv.Value)
		case "path":
			req.Path = rv.Value
		case "headers":
			if err := rv.Decode(&req.Headers); err != nil {
				return req, fail(rv, "headers: want a mapping of strings")
			}
		case "json":
			val, err := yamlvalue.Node(rv)
			if err != nil {
				return req, fail(rv, "json: %v", err)
			}
			req.JSON = &val
		case "raw":
			raw := rv.Value
			req.Raw = &raw
		case "content_type":
			ct := rv.Value
			req.ContentType = &ct
		case "encoding":
			if !slices.Contains(encodingNames, rv.Value) {
				return req, fail(rv, "encoding %q: want one of %s", rv.Value, strings.Join(encodingNames, ", "))
			}
			req.Encoding = rv.Value
		}
	}
	return req, nil
}
