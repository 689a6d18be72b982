package spec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// A reused Scratch gives the errors fresh room gives, whatever it held before, and
// Reset leaves nothing of the last body in it.
func TestScratchReuse(t *testing.T) {
	t.Parallel()
	d := load(t)
	bodies := []string{
		`{"friendly_name":123}`,
		`{"friendly_name":[` + strings.Repeat(`{"a":[1]},`, 40) + `0],"sip_trunk_password":{"k":"v"}}`,
		`[1]`,
		`{"friendly_name":"fine"}`,
		`{"outbound_agent_id":5,"inbound_agent_id":[],"sip_trunk_username":false}`,
	}
	render := func(res Result) []byte {
		b, err := AppendValidationError(nil, res.Details)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var s Scratch
	for round := range 2 {
		for _, body := range bodies {
			v, err := pyjson.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := render(d.Union.ValidateIn(&s, v)), render(d.Union.Validate(v)); !bytes.Equal(got, want) {
				t.Errorf("round %d, %s: reused room gives\n%s\nfresh room\n%s", round, body, got, want)
			}
			s.Reset()
			for _, vs := range [][]pyjson.Value{s.loc[:cap(s.loc)], s.locs[:cap(s.locs)]} {
				for i, e := range vs {
					if e.Kind != 0 || e.Str != "" || e.Arr != nil || e.Obj != nil {
						t.Fatalf("%s: after Reset, room %d still holds %v", body, i, e)
					}
				}
			}
			for i, e := range s.details[:cap(s.details)] {
				if e.Input.Kind != 0 || e.Loc != nil || e.Msg != "" {
					t.Fatalf("%s: after Reset, detail %d still holds %v", body, i, e)
				}
			}
		}
	}
}

// Validating in reused room allocates nothing for a 422's errors: the fake's 422
// path depends on it.
func TestValidateInReusesRoom(t *testing.T) { // not parallel: AllocsPerRun
	d := load(t)
	v, err := pyjson.Decode([]byte(`{"friendly_name":123,"inbound_agent_id":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	step := func() {
		if res := d.Union.ValidateIn(&s, v); len(res.Details) == 0 {
			t.Fatal("valid, want errors")
		}
		s.Reset()
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("%v allocations a validation, want 0", allocs)
	}
}
