package pyjson

import "testing"

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
