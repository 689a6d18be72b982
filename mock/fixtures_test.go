package mock

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestFixturesEveryBadRecordAtOnce: each bad record is named at its line in one
// error, schema mistakes and duplicate ids alike; the good records do not hide them.
func TestFixturesEveryBadRecordAtOnce(t *testing.T) {
	t.Parallel()
	file := "phone_numbers:\n" +
		"  - {_id: a1, provider: sip, phone_number: \"+14155550199\", sip_infra_region: mars}\n" +
		"  - {_id: a2, provider: pia, phone_number: \"+14155550198\"}\n" +
		"  - {_id: a3, provider: vonage, phone_number: \"+14155550197\"}\n" +
		"  - {_id: a2, provider: pia, phone_number: \"+14155550196\"}\n" +
		"  - 5\n"
	_, err := New(Options{Fixtures: []byte(file), FixturesName: "numbers.yaml"})
	want := []string{
		`numbers.yaml:2: record 1 (_id "a1"): field "sip_infra_region": "mars" is not one of`,
		`numbers.yaml:4: record 3 (_id "a3"): field "provider": "vonage" is not one of sip, pia, twilio`,
		`numbers.yaml:5: record 4 (_id "a2"): field "_id": duplicate of record 2`,
		`numbers.yaml:6: record 5: got number, want an object`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d mistakes, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q\nwant it to start %q", i+1, lines[i], w)
		}
	}
	var fe *FixtureError
	if !errors.As(err, &fe) || fe.Record != 1 || fe.Line != 2 {
		t.Errorf("errors.As finds %+v, want record 1 at line 2", fe)
	}
}

// TestFixturesMistakesAreBounded: a generated file with one systematic mistake lists
// the first records and counts the rest.
func TestFixturesMistakesAreBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("phone_numbers:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {_id: n%d, provider: sip, phone_number: \"+1415555%04d\", sip_infra_region: mars}\n", i, i)
	}
	_, err := New(Options{Fixtures: []byte(b.String()), FixturesName: "many.yaml"})
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 || lines[len(lines)-1] != fmt.Sprintf("… and %d more", 1000-maxReported) {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}
