package mock

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// FixtureError is a fixtures file that cannot be served: it names the file, the line,
// the record (1-based; 0 when the file as a whole is wrong) and, in Err, the field.
type FixtureError struct {
	File   string
	Line   int
	Record int
	ID     string
	Err    error
}

func (e *FixtureError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Record > 0 {
		fmt.Fprintf(&b, ": record %d", e.Record)
		if e.ID != "" {
			fmt.Fprintf(&b, " (_id %q)", e.ID)
		}
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *FixtureError) Unwrap() error { return e.Err }

// e164 is the phone_number format the schema's description requires.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// parseFixtures reads {"phone_numbers": [...]} (YAML or JSON) and checks every record
// against its provider's Get…Response schema, plus what the schema only describes:
// unique non-empty ids and E.164 numbers. Each bad record gives one *FixtureError;
// they come joined, so one run shows them all.
func parseFixtures(doc *spec.Document, file string, data []byte) ([]*record, error) {
	fail := func(line, n int, id string, err error) error {
		return &FixtureError{File: file, Line: line, Record: n, ID: id, Err: err}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail(0, 0, "", err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fail(0, 0, "", errors.New(`want a mapping with a "phone_numbers" list`))
	}
	top := root.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Value == "phone_numbers" {
			list = top.Content[i+1]
		} else {
			return nil, fail(k.Line, 0, "", fmt.Errorf("unknown key %q (want phone_numbers)", k.Value))
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fail(top.Line, 0, "", errors.New(`"phone_numbers" must be a list`))
	}
	seen := map[string]int{}
	var errs []error // every bad record, so that one run shows them all
	records := make([]*record, 0, len(list.Content))
	for i, n := range list.Content {
		rec, err := fixtureRecord(doc, n, i+1, seen)
		if err != nil {
			errs = append(errs, fail(err.line, i+1, err.id, err.err))
			continue
		}
		records = append(records, rec)
	}
	if len(errs) > 0 {
		return nil, joinReported(errs)
	}
	return records, nil
}

// recordProblem is what is wrong with one record, and where.
type recordProblem struct {
	line int
	id   string
	err  error
}

// fixtureRecord checks the record at node n (number num) against its schema and the
// records before it (seen: id → number), and builds it.
func fixtureRecord(doc *spec.Document, n *yaml.Node, num int, seen map[string]int) (*record, *recordProblem) {
	v, err := yamlvalue.Node(n)
	if err != nil {
		return nil, &recordProblem{line: n.Line, err: err}
	}
	id, _ := v.Get(spec.IDField)
	rec, err := newRecord(doc, v)
	if err != nil {
		line := fieldLine(n, "")
		if fe, ok := errors.AsType[*spec.FieldError](err); ok {
			line = fieldLine(n, fe.Field)
		}
		return nil, &recordProblem{line: line, id: id.Str, err: err}
	}
	if first, dup := seen[rec.id()]; dup {
		return nil, &recordProblem{line: fieldLine(n, spec.IDField), id: id.Str, err: &spec.FieldError{Field: spec.IDField, Err: fmt.Errorf("duplicate of record %d", first)}}
	}
	seen[rec.id()] = num
	return rec, nil
}

// newRecord checks a record object and builds it.
func newRecord(doc *spec.Document, v pyjson.Value) (*record, error) {
	if v.Kind != pyjson.Object {
		return nil, fmt.Errorf("got %s, want an object", v.Kind)
	}
	pv, ok := v.Get(spec.ProviderField)
	if !ok || pv.Kind != pyjson.String {
		return nil, &spec.FieldError{Field: spec.ProviderField, Err: fmt.Errorf("missing; want one of %s", strings.Join(doc.ProviderNames(), ", "))}
	}
	p := doc.Provider(pv.Str)
	if p == nil {
		return nil, &spec.FieldError{Field: spec.ProviderField, Err: fmt.Errorf("%q is not one of %s", pv.Str, strings.Join(doc.ProviderNames(), ", "))}
	}
	values, err := p.Record(v)
	if err != nil {
		return nil, err
	}
	rec := &record{provider: p, values: values}
	if id := values[p.Index(spec.IDField)]; id.Kind != pyjson.String || id.Str == "" {
		return nil, &spec.FieldError{Field: spec.IDField, Err: errors.New("want a non-empty string")}
	}
	if n := values[p.Index(spec.NumberField)]; n.Kind != pyjson.String || !e164.MatchString(n.Str) {
		return nil, &spec.FieldError{Field: spec.NumberField, Err: fmt.Errorf("%q is not an E.164 number (+ and up to 15 digits)", n.Str)}
	}
	for i := range values {
		if _, err := pyjson.Append(nil, values[i]); err != nil {
			return nil, &spec.FieldError{Field: p.Fields[i].Name, Err: err}
		}
	}
	return rec, nil
}

// fieldLine finds the line of a mapping's key, or of the mapping itself.
func fieldLine(n *yaml.Node, key string) int {
	if key != "" && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return n.Line
}
