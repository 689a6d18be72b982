package match

import (
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

func decode(t testing.TB, s string) pyjson.Value {
	t.Helper()
	v, err := pyjson.Decode([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		want, got string // got "" means absent
		exact     bool
		mismatch  string // "" means it matches
	}{
		{`{"a":1}`, `{"a":1,"b":2}`, false, ""},
		{`{"a":1}`, `{"a":1,"b":2}`, true, "$.b: expected absent, got 2"},
		{`{"a":{"$exact":{"x":1}}}`, `{"a":{"x":1,"y":2}}`, false, "$.a.y: expected absent"},
		{`{"a":{"$any":true}}`, `{"a":null}`, false, ""},
		{`{"a":{"$any":true}}`, `{}`, false, "$.a: expected present, got absent"},
		{`{"a":{"$present":false}}`, `{}`, false, ""},
		{`{"a":{"$present":false}}`, `{"a":1}`, false, "$.a: expected absent, got 1"},
		{`{"a":{"$present":true}}`, `{"a":1}`, false, ""},
		{`{"a":{"$absent":true}}`, `{"a":1}`, false, "$.a: expected absent, got 1"},
		{`{"a":{"$type":"boolean"}}`, `{"a":true}`, false, ""},
		{`{"a":{"$type":"null"}}`, `{"a":"null"}`, false, `$.a: expected any null, got "null"`},
		{`{"a":{"$regex":"^ab"}}`, `{"a":"abc"}`, false, ""},
		{`{"a":{"$regex":"^ab"}}`, `{"a":5}`, false, "$.a: expected a string matching /^ab/, got 5"},
		{`[1,2]`, `[1]`, false, "$: expected 2 elements"},
		{`{"a":1}`, `{"a":1.0}`, false, "$.a: expected 1, got 1.0"},
		{`{"a":"1"}`, `{"a":1}`, false, `$.a: expected "1", got 1`},
		{`1`, ``, false, "$: expected 1, got absent"},
	}
	for _, tt := range tests {
		e, err := Compile(decode(t, tt.want))
		if err != nil {
			t.Fatalf("%s: %v", tt.want, err)
		}
		var got *pyjson.Value
		if tt.got != "" {
			g := decode(t, tt.got)
			got = &g
		}
		mm := e.Compare("$", got, tt.exact, nil)
		switch {
		case tt.mismatch == "" && len(mm) > 0:
			t.Errorf("%s vs %s: unexpected %v", tt.want, tt.got, mm)
		case tt.mismatch != "" && (len(mm) == 0 || !strings.HasPrefix(mm[0].String(), tt.mismatch)):
			t.Errorf("%s vs %s: got %v, want %q", tt.want, tt.got, mm, tt.mismatch)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ want, err string }{
		{`{"x":{"$presnt":true}}`, "unknown matcher $presnt (did you mean $present?)"},
		{`{"$any":false}`, "$any: want true"},
		{`{"$type":"str"}`, `$type "str": want one of`},
		{`{"$type":null}`, `write $type: "null" in quotes`},
		{`{"$regex":"("}`, "$regex"},
		{`{"$regex":5}`, "$regex: want a string"},
		{`{"$regex":"` + strings.Repeat("a", MaxPattern+1) + `"}`, "at most"},
		{`{"$exact":{"a":{"$nope":1}}}`, "unknown matcher $nope"},
		{`[{"a":{"$absent":1}}]`, "$absent: want true"},
	}
	for _, tt := range tests {
		_, err := Compile(decode(t, tt.want))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%.60s: error %v, want %q", tt.want, err, tt.err)
		}
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"$any":true}`: "present", `{"$type":"string"}`: "any string", `{"$regex":"a"}`: "a string matching /a/", `"x"`: `"x"`,
	} {
		if got := Describe(decode(t, in)); got != want {
			t.Errorf("Describe(%s) = %q, want %q", in, got, want)
		}
	}
}
