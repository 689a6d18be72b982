package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock"
)

// logLines parses JSON log lines.
func logLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// TestJSONLogDurationsInMilliseconds: in JSON every duration is a number of
// milliseconds named x_ms, in groups too; text keeps Go's readable form.
func TestJSONLogDurationsInMilliseconds(t *testing.T) {
	t.Parallel()
	var js, text bytes.Buffer
	for _, l := range []*slog.Logger{newLogger(&js, "json", slog.LevelInfo), newLogger(&text, "text", slog.LevelInfo)} {
		l.Info("shutting down", "grace", 10*time.Second, slog.Group("fault", "delay", 1500*time.Microsecond), "open", 3)
	}
	line := logLines(t, js.Bytes())[0]
	if line["grace_ms"] != 10000.0 || line["open"] != 3.0 || line["grace"] != nil {
		t.Errorf("JSON: %s", js.String())
	}
	if fault, _ := line["fault"].(map[string]any); fault["delay_ms"] != 1.5 {
		t.Errorf("JSON group: %s", js.String())
	}
	if !strings.Contains(text.String(), " grace=10s fault.delay=1.5ms open=3") {
		t.Errorf("text: %s", text.String())
	}
}

// TestRequestLogDuration: the fake's debug line per request gives its duration in
// milliseconds, a number, once the CLI's logger carries it.
func TestRequestLogDuration(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	fake, err := mock.New(mock.Options{Logger: newLogger(&buf, "json", slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	fake.ServeHTTP(httptest.NewRecorder(), req)
	found := false
	for _, l := range logLines(t, buf.Bytes()) {
		if l["msg"] == "request" {
			ms, ok := l["duration_ms"].(float64)
			found = ok && ms >= 0 && l["duration"] == nil
		}
	}
	if !found {
		t.Errorf("no request line with a duration_ms number:\n%s", buf.String())
	}
}

// TestOpenableURL: a wildcard listen address is logged as a URL on this machine.
func TestOpenableURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"10.1.2.3:80":    "http://10.1.2.3:80",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := openableURL(a); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

// TestStartLogOnAllInterfaces: a fake on 0.0.0.0 logs a URL that answers, and
// its JSON shutdown line gives the grace in milliseconds.
func TestStartLogOnAllInterfaces(t *testing.T) {
	t.Parallel()
	c := startChild(t, "serve", "--addr", "0.0.0.0:0", "--shutdown-timeout", "2s")
	if !strings.HasPrefix(c.url, "http://127.0.0.1:") {
		t.Errorf("start log url %q", c.url)
	}
	resp, err := http.Get(c.url + "/__admin/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the logged URL: %v %v", err, resp)
	}
	resp.Body.Close()
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, l := range logLines(t, c.stderr.Bytes()) {
		if l["msg"] == "shutting down" && (l["grace_ms"] != 2000.0 || l["grace"] != nil) {
			t.Errorf("shutdown line %v", l)
		}
		if l["msg"] == "verbex-mock listening" && !strings.HasSuffix(l["addr"].(string), c.url[strings.LastIndex(c.url, ":"):]) {
			t.Errorf("start line %v", l)
		}
	}
}

// TestEnumsAnyCase: enumerated flags and variables take any case.
func TestEnumsAnyCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		env    func(string) string
		format string
		level  slog.Level
	}{
		{nil, env("VERBEX_MOCK_LOG_FORMAT", "JSON", "VERBEX_MOCK_LOG_LEVEL", "DEBUG"), "json", slog.LevelDebug},
		{[]string{"--log-format", "Text", "--log-level", "Warn"}, env(), "text", slog.LevelWarn},
		{[]string{"--log-format=jSoN"}, env("VERBEX_MOCK_LOG_LEVEL", "error"), "json", slog.LevelError},
	}
	for _, tt := range tests {
		c, err := loadServeConfig(tt.args, tt.env, &bytes.Buffer{})
		if err != nil || c.logFormat != tt.format || c.logLevel != tt.level {
			t.Errorf("serve %q: %q %v %v", tt.args, c.logFormat, c.logLevel, err)
		}
		p, err := loadProxyConfig(append([]string{"--upstream", "http://127.0.0.1:1"}, tt.args...), tt.env, &bytes.Buffer{})
		if err != nil || p.logFormat != tt.format || p.logLevel != tt.level {
			t.Errorf("proxy %q: %q %v %v", tt.args, p.logFormat, p.logLevel, err)
		}
	}
}
