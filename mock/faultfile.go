package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// FaultError is a fault rule that cannot be used, in the fixtures' style:
// "file:line: rule N (name): field: problem". File and Line are set for rules read by
// ParseFaultFile; Rule is 1-based (0 when the file as a whole is wrong); Field is the
// rule's field in the file's spelling ("match.method", "match.body.friendly_name"),
// "" when the rule as a whole is wrong. It matches ErrFaultRule with errors.Is.
type FaultError struct {
	File  string
	Line  int
	Rule  int
	Name  string
	Field string
	Err   error
}

func (e *FaultError) Error() string {
	var parts []string
	if e.File != "" {
		loc := e.File
		if e.Line > 0 {
			loc += ":" + strconv.Itoa(e.Line)
		}
		parts = append(parts, loc)
	} else if e.Line > 0 {
		parts = append(parts, "line "+strconv.Itoa(e.Line))
	}
	if e.Rule > 0 {
		r := "rule " + strconv.Itoa(e.Rule)
		if e.Name != "" {
			r += fmt.Sprintf(" (%s)", e.Name)
		}
		parts = append(parts, r)
	}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	parts = append(parts, e.Err.Error())
	return strings.Join(parts, ": ")
}

// Unwrap lets errors.Is find ErrFaultRule as well as the cause.
func (e *FaultError) Unwrap() []error { return []error{ErrFaultRule, e.Err} }

// fieldProblem is what is wrong with one field of a rule; checkFault's errors carry
// one so that a rule read from a file can be reported at that field's line.
type fieldProblem struct {
	field string
	err   error
}

func (p *fieldProblem) Error() string {
	if p.field == "" {
		return p.err.Error()
	}
	return p.field + ": " + p.err.Error()
}

func (p *fieldProblem) Unwrap() error { return p.err }

func problem(field, format string, a ...any) error {
	return &fieldProblem{field: field, err: fmt.Errorf(format, a...)}
}

// faultSource is where a rule was read: its file, number and the line of each field,
// so that a check made later (against the document, in New) still names the line.
type faultSource struct {
	file  string
	rule  int
	line  int
	lines map[string]int // "status", "match.body.friendly_name", …
}

// lineOf finds the line of a field, or of the nearest enclosing one, or of the rule.
func (s *faultSource) lineOf(field string) int {
	for f := field; f != ""; {
		if l, ok := s.lines[f]; ok {
			return l
		}
		i := strings.LastIndexByte(f, '.')
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return s.line
}

// ruleError turns an error about rule number n (1-based) into a FaultError, at the line
// of the field it names when the rule was read from a file.
func ruleError(n int, r FaultRule, err error) error {
	fe := &FaultError{Rule: n, Name: r.Name, Err: err}
	if p, ok := errors.AsType[*fieldProblem](err); ok {
		fe.Field, fe.Err = p.field, p.err
	} else if errors.Is(err, ErrFaultRule) {
		// checkFault's whole-rule errors: drop the "mock: invalid fault rule" prefix
		// that FaultError's own Unwrap already provides.
		fe.Err = errors.New(strings.TrimPrefix(err.Error(), ErrFaultRule.Error()+": "))
	}
	if r.src != nil {
		fe.File, fe.Rule = r.src.file, r.src.rule
		fe.Line = r.src.lineOf(fe.Field)
	}
	return fe
}

// The fields a rule and its match may have, as the file spells them.
var (
	ruleFields  = []string{"id", "name", "match", "status", "body", "raw_body", "headers", "delay", "connection", "times", "after", "probability", "priority", "off_document"}
	matchFields = []string{"method", "phone_number_id", "body", "headers"}
)

// ParseFaults reads rules from YAML or JSON: a list of rules, or {"faults": [...]}.
// Errors are *FaultError values (joined, one per bad rule), as ParseFaultFile's.
func ParseFaults(data []byte) ([]FaultRule, error) { return ParseFaultFile("", data) }

// ParseFaultFile reads the rules of the named file (YAML or JSON): a list of rules, or
// {"faults": [...]}. Every rule is checked for what does not need the document: unknown
// fields, matchers and methods are refused with the nearest known one, and each value
// must have the type its field wants. Each bad rule gives one *FaultError
// ("file:line: rule N (name): field: problem"); they come joined, so one run shows
// them all. The rules remember their lines: what New refuses later is reported at the
// same place. Options.FaultFile does both in one step, and reports both kinds at once.
func ParseFaultFile(name string, data []byte) ([]FaultRule, error) {
	rules, errs := parseFaultFile(name, data)
	if len(errs) > 0 {
		return nil, joinReported(errs)
	}
	return rules, nil
}

// parseFaultFile is ParseFaultFile that keeps going: the rules that read well, and an
// error for each that did not (or one for a file that holds no list of rules).
func parseFaultFile(name string, data []byte) ([]FaultRule, []error) {
	fail := func(line int, err error) []error { return []error{&FaultError{File: name, Line: line, Err: err}} }
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line, msg := yamlSyntax(err)
		return nil, fail(line, msg)
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	list := resolve(root.Content[0])
	if list.Kind == yaml.MappingNode {
		top := list
		list = nil
		for i := 0; i+1 < len(top.Content); i += 2 {
			k := top.Content[i]
			if k.Value != "faults" {
				return nil, fail(k.Line, fmt.Errorf("unknown key %q%s; want a list of rules, or faults: [...]", k.Value, didYouMean(k.Value, []string{"faults"})))
			}
			list = resolve(top.Content[i+1])
		}
		if list == nil {
			return nil, fail(top.Line, errors.New("want a list of rules, or faults: [...]"))
		}
	}
	if list.Kind == yaml.ScalarNode && list.ShortTag() == "!!null" {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list.Line, fmt.Errorf("got %s; want a list of rules, or faults: [...]", describeNode(list)))
	}
	var errs []error
	rules := make([]FaultRule, 0, len(list.Content))
	for i, n := range list.Content {
		r, err := parseRule(resolve(n), &faultSource{file: name, rule: i + 1, line: n.Line, lines: map[string]int{}})
		if err == nil {
			_, err = checkShape(r)
		}
		if err != nil {
			errs = append(errs, ruleError(i+1, r, err))
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

// checkStartFaults checks the rules every session starts with, Options.Faults and then
// the fault file's, against the document. Every mistake, in the file's form or
// against the document, comes in one error, in rule order.
func (s *Server) checkStartFaults() error {
	fileRules, errs := parseFaultFile(s.opts.FaultFileName, s.opts.FaultFile)
	for i, r := range slices.Concat(s.opts.Faults, fileRules) {
		c, err := s.checkFault(r)
		if err != nil {
			errs = append(errs, ruleError(i+1, r, err))
			continue
		}
		s.startFaults = append(s.startFaults, c)
	}
	// A file's rules after those built in Go; in each, by rule number.
	key := func(err error) (bool, int) {
		if fe, ok := errors.AsType[*FaultError](err); ok {
			return fe.File != "", fe.Rule
		}
		return true, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		af, ar := key(a)
		bf, br := key(b)
		if af != bf {
			if af {
				return 1
			}
			return -1
		}
		return ar - br
	})
	return joinReported(errs)
}

// maxReported bounds the mistakes one error lists, so that a generated file with a
// systematic mistake does not print a line per record.
const maxReported = 50

// joinReported joins errs (nil for none), the first maxReported of them and a count
// of the rest.
func joinReported(errs []error) error {
	if len(errs) > maxReported {
		errs = append(errs[:maxReported:maxReported], fmt.Errorf("… and %d more", len(errs)-maxReported))
	}
	return errors.Join(errs...)
}

// parseFaultRule reads the one rule that POST /__admin/faults carries (a JSON object)
// with the same checks and words as a fault file: "line L: field: problem".
func parseFaultRule(data []byte) (FaultRule, error) {
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v) // for its account of where the text goes wrong
		return FaultRule{}, &FaultError{Err: fmt.Errorf("not JSON: %w", err)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line, msg := yamlSyntax(err)
		return FaultRule{}, &FaultError{Line: line, Err: msg}
	}
	if len(root.Content) == 0 {
		return FaultRule{}, &FaultError{Err: errors.New("want a rule (an object of status, match, …), got nothing")}
	}
	n := resolve(root.Content[0])
	r, err := parseRule(n, &faultSource{line: n.Line, lines: map[string]int{}})
	if err == nil {
		_, err = checkShape(r)
	}
	if err != nil {
		return FaultRule{}, ruleError(0, r, err)
	}
	r.src = nil // a rule sent over the API has no file to point back to
	return r, nil
}

// parseRule reads one rule; the error names the field (a *fieldProblem).
func parseRule(n *yaml.Node, src *faultSource) (FaultRule, error) {
	r := FaultRule{src: src}
	if n.Kind != yaml.MappingNode {
		return r, problem("", "got %s; want a rule (a mapping of status, match, …)", describeNode(n))
	}
	if v := mappingValue(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
		r.Name = v.Value // first, so that every later error names the rule
	}
	return r, eachField(n, "", ruleFields, src, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "id":
			r.ID, err = text(key, v)
		case "name":
			r.Name, err = text(key, v)
		case "match":
			r.Match, err = parseMatch(v, src)
		case "status":
			r.Status, err = whole(key, v)
		case "body":
			r.Body, err = jsonOf(key, v)
		case "raw_body":
			r.RawBody, err = text(key, v)
		case "headers":
			r.Headers, err = textMap(key, v, src)
		case "delay":
			r.Delay, err = delay(v)
		case "connection":
			r.Connection, err = text(key, v)
		case "times":
			r.Times, err = whole(key, v)
		case "after":
			r.After, err = whole(key, v)
		case "probability":
			r.Probability, err = number(key, v)
		case "priority":
			r.Priority, err = whole(key, v)
		case "off_document":
			r.OffDocument, err = boolean(key, v)
		}
		return err
	})
}

func parseMatch(n *yaml.Node, src *faultSource) (FaultMatch, error) {
	var m FaultMatch
	if n.Kind != yaml.MappingNode {
		return m, problem("match", "got %s; want a mapping of %s", describeNode(n), strings.Join(matchFields, ", "))
	}
	return m, eachField(n, "match.", matchFields, src, func(key string, v *yaml.Node) error {
		var err error
		field := "match." + key
		switch key {
		case "method":
			m.Method, err = text(field, v)
		case "phone_number_id":
			m.PhoneNumberID, err = text(field, v)
		case "headers":
			m.Headers, err = textMap(field, v, src)
		case "body":
			if v.Kind != yaml.MappingNode {
				return problem(field, "got %s; want a mapping of field: value or field: {$matcher: …}", describeNode(v))
			}
			m.Body = map[string]any{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k := v.Content[i]
				src.lines[field+"."+k.Value] = k.Line
				raw, err := jsonOf(field+"."+k.Value, resolve(v.Content[i+1]))
				if err != nil {
					return err
				}
				var x any
				if err := json.Unmarshal(raw, &x); err != nil {
					return problem(field+"."+k.Value, "%v", err)
				}
				m.Body[k.Value] = x
			}
		}
		return err
	})
}

// eachField calls set for every key of a mapping, refusing unknown and repeated keys,
// and records each key's line under prefix+key.
func eachField(n *yaml.Node, prefix string, known []string, src *faultSource, set func(key string, v *yaml.Node) error) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		field := prefix + k.Value
		if first, dup := src.lines[field]; dup {
			src.lines[field] = k.Line
			return problem(field, "given twice (first on line %d)", first)
		}
		src.lines[field] = k.Line
		if !containsString(known, k.Value) {
			return problem(field, "unknown field%s", didYouMean(k.Value, known))
		}
		if err := set(k.Value, resolve(n.Content[i+1])); err != nil {
			return err
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// didYouMean suggests the nearest known name, or lists them all when none is near.
func didYouMean(name string, known []string) string {
	if best := match.Nearest(name, known); best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return "; want one of " + strings.Join(known, ", ")
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// describeNode names what a node is, in the user's words.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	return strconv.Quote(n.Value)
}

func text(field string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", problem(field, "got %s; want text", describeNode(n))
	}
	return n.Value, nil
}

func whole(field string, n *yaml.Node) (int, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if i, err := strconv.ParseInt(n.Value, 0, 32); err == nil {
			return int(i), nil
		}
	}
	return 0, problem(field, "got %s; want a whole number", describeNode(n))
}

func number(field string, n *yaml.Node) (float64, error) {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f, nil
		}
	}
	return 0, problem(field, "got %s; want a number such as 0.5", describeNode(n))
}

func boolean(field string, n *yaml.Node) (bool, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		return strings.EqualFold(n.Value, "true"), nil
	}
	return false, problem(field, "got %s; want true or false", describeNode(n))
}

func delay(n *yaml.Node) (time.Duration, error) {
	var v any
	switch {
	case n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float"):
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return 0, problem("delay", "got %s; want a duration such as 250ms", describeNode(n))
		}
		v = f
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		if _, err := time.ParseDuration(n.Value); err != nil {
			return 0, problem("delay", "got %s; want a duration such as 250ms or 1.5s (or a number of milliseconds)", describeNode(n))
		}
		v = n.Value
	default:
		return 0, problem("delay", "got %s; want a duration such as 250ms", describeNode(n))
	}
	d, err := parseDelay(v)
	if err != nil {
		return 0, problem("delay", "got %s; want a duration of 0 or more", describeNode(n))
	}
	return d, nil
}

func textMap(field string, n *yaml.Node, src *faultSource) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, problem(field, "got %s; want a mapping of header: value", describeNode(n))
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		src.lines[field+"."+k.Value] = k.Line
		v := resolve(n.Content[i+1])
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			return nil, problem(field+"."+k.Value, "got %s; want text", describeNode(v))
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

// jsonOf renders a YAML value as the JSON it denotes, keeping key order.
func jsonOf(field string, n *yaml.Node) (json.RawMessage, error) {
	v, err := yamlvalue.Node(n)
	if err != nil {
		return nil, problem(field, "%v", err)
	}
	b, err := pyjson.Append(nil, v)
	if err != nil {
		return nil, problem(field, "%v", err)
	}
	return b, nil
}

// The parser says "yaml: line N: …" or "… at LN.CM: …".
var yamlLineRE = regexp.MustCompile(`(?:^yaml: line (\d+)|at L(\d+)\.C\d+): (.*)$`)

// yamlSyntax splits the parser's message into the line and the problem.
func yamlSyntax(err error) (int, error) {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		m = []string{m[0], m[1] + m[2], m[3]}
		line, _ := strconv.Atoi(m[1])
		return line, fmt.Errorf("not YAML: %s", m[2])
	}
	return 0, fmt.Errorf("not YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}
