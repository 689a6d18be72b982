package pyjson

import (
	"strings"
	"testing"
)

// TestReplaceMembers: members are replaced at any depth, inside arrays too, a
// replaced value is not walked into, and the original is left as it was.
func TestReplaceMembers(t *testing.T) {
	t.Parallel()
	secretToX := func(key string, val Value) (Value, bool) {
		if key == "secret" {
			return StringValue("x"), true
		}
		return val, false
	}
	tests := []struct{ name, in, want string }{
		{"top level", `{"secret":"s","a":1}`, `{"secret":"x","a":1}`},
		{"nested object", `{"a":{"secret":"s"}}`, `{"a":{"secret":"x"}}`},
		{"inside an array", `[{"secret":1},{"b":[{"secret":null}]}]`, `[{"secret":"x"},{"b":[{"secret":"x"}]}]`},
		{"a replaced value is not walked into", `{"secret":{"secret":"s"}}`, `{"secret":"x"}`},
		{"nothing to replace", `{"a":[1,"secret"]}`, `{"a":[1,"secret"]}`},
		{"not a container", `"secret"`, `"secret"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			before, _ := Append(nil, v)
			got, err := Append(nil, v.ReplaceMembers(secretToX))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("ReplaceMembers(%s) = %s, want %s", tt.in, got, tt.want)
			}
			if after, _ := Append(nil, v); string(after) != string(before) {
				t.Errorf("the original changed: %s, was %s", after, before)
			}
		})
	}
}

// TestNestsDeeper: every array and object counts one level, wherever it sits (a
// deep path after shallow siblings, under an object's later member, at the top);
// scalars and empty containers at the bottom add nothing more, and exactly n deep is
// not deeper than n.
func TestNestsDeeper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		depth int // how deep it nests
	}{
		{`1`, 0},
		{`"[[["`, 0},
		{`[]`, 1},
		{`{}`, 1},
		{`[1,"x",null]`, 1},
		{`[[],[[]],[]]`, 3},
		{`{"a":1,"b":{"c":[{}]},"d":2}`, 4},
		{`[1,[2],[3,[4,[5]]],6]`, 4},
		{repeat("[", 500) + repeat("]", 500), 500},
		{`[0,` + repeat(`{"a":`, MaxDepth-1) + "1" + repeat("}", MaxDepth-1) + `]`, MaxDepth},
	}
	for _, tt := range tests {
		v, err := Decode([]byte(tt.in))
		if err != nil {
			t.Fatalf("%.40s: %v", tt.in, err)
		}
		for n := max(tt.depth-2, 0); n <= tt.depth+2; n++ {
			if got, want := v.NestsDeeper(n), tt.depth > n; got != want {
				t.Errorf("%.40s (depth %d): NestsDeeper(%d) = %v, want %v", tt.in, tt.depth, n, got, want)
			}
		}
	}
}

// BenchmarkNestsDeeper: the depth check on a 422's echo that is not deep, beside
// writing that echo, which every 422 does anyway.
func BenchmarkNestsDeeper(b *testing.B) {
	v, err := Decode([]byte("[" + strings.Repeat(`[1,"x",{"a":[2]}],`, 63) + `[1,"x",{"a":[2]}]]`))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if v.NestsDeeper(MaxDepth) {
				b.Fatal("deep")
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			buf, _ = Append(buf[:0], v)
		}
	})
}
