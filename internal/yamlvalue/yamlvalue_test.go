package yamlvalue

import (
	"testing"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

func TestNode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"b: 1\na: [x, null, true, 2.50]\n", `{"b":1,"a":["x",null,true,2.5]}`},
		{"n: 0x10\nbig: 123456789012345678901234567890\n", `{"n":16,"big":123456789012345678901234567890}`},
		{"a: &x {k: v}\nb: *x\n", `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"s: '1'\n", `{"s":"1"}`},
	}
	for _, tt := range tests {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(tt.in), &root); err != nil {
			t.Fatal(err)
		}
		v, err := Node(&root)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		got, _ := pyjson.Append(nil, v)
		if string(got) != tt.want {
			t.Errorf("%q → %s, want %s", tt.in, got, tt.want)
		}
	}
}
