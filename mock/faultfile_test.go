package mock

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestFaultFileErrors: a fault file's mistakes are reported as fixtures' are, at the
// line, naming the rule and the field, in the user's words and never Go's.
func TestFaultFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
	}{
		{"unknown field", "- name: slow\n  statsu: 500\n",
			"faults.yaml:2: rule 1 (slow): statsu: unknown field; did you mean status?"},
		{"unknown match field", "- status: 500\n  match:\n    mehtod: PATCH\n",
			"faults.yaml:3: rule 1: match.mehtod: unknown field; did you mean method?"},
		{"unknown matcher", "- name: gone\n  status: 500\n  match:\n    body:\n      friendly_name: {$presnt: true}\n",
			"faults.yaml:5: rule 1 (gone): match.body.friendly_name: unknown matcher $presnt (did you mean $present?) (want one of $absent, $any, $exact, $present, $regex, $type)"},
		{"unknown method", "- status: 500\n  match: {method: PTACH}\n",
			`faults.yaml:2: rule 1: match.method: "PTACH" is not a method; did you mean PATCH?`},
		{"probability as text", "- status: 500\n  probability: high\n",
			`faults.yaml:2: rule 1: probability: got "high"; want a number such as 0.5`},
		{"probability out of range", "- status: 500\n  probability: 2\n",
			"faults.yaml:2: rule 1: probability: 2 is not in (0, 1]"},
		{"status as text", "- status: boom\n",
			`faults.yaml:1: rule 1: status: got "boom"; want a whole number`},
		{"bad delay", "- name: d\n  delay: soon\n",
			`faults.yaml:2: rule 1 (d): delay: got "soon"; want a duration such as 250ms or 1.5s (or a number of milliseconds)`},
		{"off_document not a boolean", "- status: 500\n  off_document: maybe\n",
			`faults.yaml:2: rule 1: off_document: got "maybe"; want true or false`},
		{"connection typo", "- status: 500\n  connection: truncat\n",
			`faults.yaml:2: rule 1: connection: "truncat" is not a connection fault; did you mean truncate?`},
		{"header value a mapping", "- status: 500\n  headers:\n    Retry-After: {s: 3}\n",
			`faults.yaml:3: rule 1: headers.Retry-After: got a mapping; want text`},
		{"field given twice", "- status: 500\n  status: 404\n",
			"faults.yaml:2: rule 1: status: given twice (first on line 1)"},
		{"rule not a mapping", "- 500\n",
			"faults.yaml:1: rule 1: got the number 500; want a rule (a mapping of status, match, …)"},
		{"nothing to do", "- name: idle\n",
			"faults.yaml:1: rule 1 (idle): a rule needs a status, a connection fault or a delay"},
		{"top-level typo", "fautls: []\n",
			`faults.yaml:1: unknown key "fautls"; did you mean faults?; want a list of rules, or faults: [...]`},
		{"not a list", "faults: 3\n",
			"faults.yaml:1: got the number 3; want a list of rules, or faults: [...]"},
		{"not YAML", "- status: 500\n  body: {a: [\n",
			"faults.yaml:3: not YAML: did not find expected node content"},
		{"every bad rule at once", "- name: a\n  statsu: 500\n- name: ok\n  status: 500\n- name: b\n  times: -1\n  status: 500\n",
			"faults.yaml:2: rule 1 (a): statsu: unknown field; did you mean status?\nfaults.yaml:6: rule 3 (b): times: -1 is negative; want 0 (no limit) or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, err := ParseFaultFile("faults.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("accepted: %+v", rules)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n%s\nwant\n%s", got, tt.want)
			}
			if !errors.Is(err, ErrFaultRule) {
				t.Errorf("error does not wrap ErrFaultRule")
			}
			checkNoGoWords(t, err.Error())
		})
	}
}

// checkNoGoWords fails the test when a message meant for users speaks of Go's
// decoding or types.
func checkNoGoWords(t testing.TB, msg string) {
	t.Helper()
	for _, never := range []string{"json:", "Go struct", "unmarshal", "float64", "FaultRule"} {
		if strings.Contains(msg, never) {
			t.Errorf("message speaks Go (%q): %s", never, msg)
		}
	}
}

// TestFaultFileDocumentErrors: what only the document can refuse (in New) is still
// reported at the rule's line in its file.
func TestFaultFileDocumentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
	}{
		{"undocumented status", "- name: a\n  status: 500\n- name: teapot\n  status: 418\n",
			"faults.yaml:4: rule 2 (teapot): status: 418 is not a status the document lists (200, 404, 422, 500): set off_document: true, and give the body the client should get in body (JSON) or raw_body (any bytes); with neither the body is empty"},
		{"body off the document", "- status: 404\n  body:\n    detail: Not Found\n",
			"faults.yaml:2: rule 1: body: with status 404 this body is off the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, err := ParseFaultFile("faults.yaml", []byte(tt.file))
			if err != nil {
				t.Fatalf("ParseFaultFile: %v", err)
			}
			_, err = New(Options{Faults: rules})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrFaultRule) {
				t.Errorf("New: %v\nwant ErrFaultRule starting %q", err, tt.want)
			}
		})
	}
}

// TestFaultFileReads: what a file says is what the rule does.
func TestFaultFileReads(t *testing.T) {
	t.Parallel()
	file := "faults:\n  - name: all of it\n    match:\n      method: patch\n      phone_number_id: \"6650*\"\n      headers: {X-Env: prod}\n      body: {friendly_name: {$present: true}, n: 5}\n" +
		"    status: 500\n    body: {error: db_down, message: later}\n    headers: {Retry-After: 3}\n    delay: 1.5s\n    times: 2\n    after: 1\n    probability: 0.5\n    priority: 3\n"
	rules, err := ParseFaultFile("f.yaml", []byte(file))
	if err != nil || len(rules) != 1 {
		t.Fatalf("ParseFaultFile: %v %v", rules, err)
	}
	r := rules[0]
	if r.Name != "all of it" || r.Match.Method != "patch" || r.Match.PhoneNumberID != "6650*" || r.Match.Headers["X-Env"] != "prod" ||
		r.Match.Body["n"] != 5.0 || r.Status != 500 || string(r.Body) != `{"error":"db_down","message":"later"}` ||
		r.Headers["Retry-After"] != "3" || r.Delay.String() != "1.5s" || r.Times != 2 || r.After != 1 || r.Probability != 0.5 || r.Priority != 3 {
		t.Errorf("parsed %+v", r)
	}
	for _, empty := range []string{"", "faults:\n", "[]\n"} {
		if rules, err := ParseFaultFile("f.yaml", []byte(empty)); err != nil || len(rules) != 0 {
			t.Errorf("%q: %v %v, want no rules", empty, rules, err)
		}
	}
}

// TestFaultFileEveryMistakeAtOnce: Options.FaultFile reports mistakes of form (found
// while reading) and against the document (found in New) in one error, in rule order,
// each at its line; two undocumented statuses are both named, not the first alone.
func TestFaultFileEveryMistakeAtOnce(t *testing.T) {
	t.Parallel()
	file := "- name: gateway\n  status: 502\n- name: typo\n  statsu: 500\n- name: unavailable\n  status: 503\n- name: fine\n  status: 500\n- name: negative\n  times: -1\n  status: 500\n"
	_, err := New(Options{FaultFile: []byte(file), FaultFileName: "faults.yaml"})
	want := "faults.yaml:2: rule 1 (gateway): status: 502 is not a status the document lists (200, 404, 422, 500): set off_document: true, and give the body the client should get in body (JSON) or raw_body (any bytes); with neither the body is empty\n" +
		"faults.yaml:4: rule 2 (typo): statsu: unknown field; did you mean status?\n" +
		"faults.yaml:6: rule 3 (unavailable): status: 503 is not a status the document lists (200, 404, 422, 500): set off_document: true, and give the body the client should get in body (JSON) or raw_body (any bytes); with neither the body is empty\n" +
		"faults.yaml:10: rule 5 (negative): times: -1 is negative; want 0 (no limit) or more"
	if err == nil || err.Error() != want || !errors.Is(err, ErrFaultRule) {
		t.Fatalf("New: %v\nwant ErrFaultRule:\n%s", err, want)
	}
	// Rules built in Go come first, numbered among themselves; the file's rules then
	// start with the file's numbers.
	_, err = New(Options{Faults: []FaultRule{{Status: 418}}, FaultFile: []byte("- status: 502\n"), FaultFileName: "f.yaml"})
	if err == nil || !strings.HasPrefix(err.Error(), "rule 1: status: 418 is not a status the document lists") || !strings.Contains(err.Error(), "\nf.yaml:1: rule 1: status: 502") {
		t.Errorf("New: %v", err)
	}
	// A good file serves its rules.
	s, err := New(Options{FaultFile: []byte("faults: [{status: 500, times: 1}]\n"), FaultFileName: "ok.yaml"})
	if err != nil || len(s.Session("").Faults()) != 1 {
		t.Fatalf("New: %v", err)
	}
}

// TestReportedMistakesAreBounded: a file with thousands of bad rules lists the first
// ones and counts the rest, so the message stays readable and small.
func TestReportedMistakesAreBounded(t *testing.T) {
	t.Parallel()
	file := strings.Repeat("- statsu: 500\n", 5000)
	_, err := New(Options{FaultFile: []byte(file), FaultFileName: "many.yaml"})
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 || lines[len(lines)-1] != fmt.Sprintf("… and %d more", 5000-maxReported) {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}
