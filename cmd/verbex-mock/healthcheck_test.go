package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHealthcheck: 0 against a fake that answers, also when the address names all
// interfaces; 2 for an address or timeout it cannot use.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	_, url := servedFake(t, nil)
	port := url[strings.LastIndex(url, ":")+1:]
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--addr", "127.0.0.1:" + port}, 0, ""},
		{[]string{"--addr", "0.0.0.0:" + port, "--timeout", "5s"}, 0, ""},
		{[]string{"--addr", "127.0.0.1"}, 2, `--addr (VERBEX_MOCK_ADDR): "127.0.0.1" is not host:port`},
		{[]string{"--timeout", "0s"}, 2, `--timeout (VERBEX_MOCK_HEALTHCHECK_TIMEOUT): "0s" is not a positive duration`},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"healthcheck"}, tt.args...), &bytes.Buffer{}, &stderr, env())
		if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d %q, want %d %q", tt.args, code, stderr.String(), tt.code, tt.want)
		}
	}
}
