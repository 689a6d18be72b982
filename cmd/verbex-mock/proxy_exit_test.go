package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// refusedURL is the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

// TestProxyExitsThreeWhenTheUpstreamAnsweredNothing: in front of an upstream that
// refuses every connection, the proxy exits 3 with or without --fail-on-drift, and
// says that nothing was compared; one answered exchange, equal, exits 0.
func TestProxyExitsThreeWhenTheUpstreamAnsweredNothing(t *testing.T) {
	t.Parallel()
	_, fakeURL := servedFake(t, nil)
	for _, tc := range []struct {
		name     string
		upstream string
		args     []string
		code     int
		stderr   []string
	}{
		{"refused", refusedURL(t), nil, 3, []string{"NOTHING COMPARED", "answered none of 2 exchanges (2 upstream failed)", "2 exchanges, 0 compared, 0 drifted"}},
		{"refused, --fail-on-drift", refusedURL(t), []string{"--fail-on-drift"}, 3, []string{"NOTHING COMPARED", "2 exchanges, 0 compared, 0 drifted"}},
		{"refused, no learning reads", refusedURL(t), []string{"--no-learn", "--fail-on-drift"}, 3, []string{"NOTHING COMPARED", "2 exchanges, 0 compared, 0 drifted"}},
		{"answered", fakeURL, []string{"--fail-on-drift"}, 0, []string{"2 exchanges, 2 compared, 0 drifted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startChild(t, append([]string{"proxy", "--addr", "127.0.0.1:0", "--upstream", tc.upstream}, tc.args...)...)
			for range 2 {
				req, _ := http.NewRequest(http.MethodPatch, p.url+"/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			code := p.stop(t)
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, p.stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(p.stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
				}
			}
		})
	}
}
