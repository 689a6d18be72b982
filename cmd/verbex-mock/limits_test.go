package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// At the cap, idle and silent connections make room: a health check on a new
// connection always gets through.
func TestConnCapKeepsHealthReachable(t *testing.T) {
	t.Parallel()
	url := startChild(t, "serve", "--addr", "127.0.0.1:0", "--max-conns", "8").url
	addr := strings.TrimPrefix(url, "http://")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range 40 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if i%2 == 0 { // half stay idle after one request, half never say a word
			fmt.Fprintf(c, "GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 5 {
		resp, err := client.Get(url + "/__admin/health")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("health check %d past the cap: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
}

func TestSlowUploadIsCutOff(t *testing.T) {
	t.Parallel()
	url := startChild(t, "serve", "--addr", "127.0.0.1:0", "--read-timeout", "300ms").url
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PATCH /v1/phone-numbers/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a bound for the test, far past the fake's
	_, err = io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the fake held a slow upload past its read timeout")
	}
}

// On SIGTERM a request held by a fault's delay is answered at once, as it would have
// been, and the fake exits 0 well within its grace period.
func TestShutdownAnswersDelayedRequests(t *testing.T) {
	t.Parallel()
	faults := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(faults, []byte("- {status: 500, delay: 1h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, "serve", "--addr", "127.0.0.1:0", "--faults", faults, "--shutdown-timeout", "30s")
	cmd, url := c.cmd, c.url
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPatch, url+"/v1/phone-numbers/x", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // polling a counter
		resp, err := http.Get(url + "/__admin/faults")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `"matched":1`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the request never reached its delay")
		}
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := <-done; status != 500 {
		t.Errorf("the delayed request got %d, want the fault's 500", status)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v, want 0", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("stopping took %s, past most of the grace period", took)
	}
}

func TestAdminHostsOnLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, allowed, host string
		want                int
	}{
		{"127.0.0.1:0", "", "127.0.0.1", 200},
		{"127.0.0.1:0", "", "localhost", 200},
		{"127.0.0.1:0", "", "evil.example", 403},
		{"127.0.0.1:0", "fake.test", "fake.test", 200},
	}
	for _, tt := range tests {
		got := adminHosts(tt.addr, strings.Split(tt.allowed, ","))
		allowed := false
		for _, h := range got {
			allowed = allowed || h == tt.host
		}
		if want := tt.want == 200; allowed != want {
			t.Errorf("adminHosts(%s, %q) = %v: %s allowed %v, want %v", tt.addr, tt.allowed, got, tt.host, allowed, want)
		}
	}
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "10.1.2.3:8080"} {
		if got := adminHosts(addr, nil); got != nil {
			t.Errorf("adminHosts(%s) = %v: no Host check off loopback", addr, got)
		}
	}
	url := startChild(t, "serve", "--addr", "127.0.0.1:0").url
	req, _ := http.NewRequest(http.MethodGet, url+"/__admin/health", nil)
	req.Host = "rebound.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("a foreign Host on loopback: %d, want 403", resp.StatusCode)
	}
}

func TestMemoryCeiling(t *testing.T) {
	t.Parallel()
	c, err := loadServeConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := memoryCeiling(c) >> 20; got != 272 {
		t.Errorf("the defaults allow %d MiB; the README says 272", got)
	}
}

// serve paces the collector at gcPercent, unless GOGC sets the pace.
func TestGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	c, err := loadServeConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMEMLIMIT", "8GiB") // leave this test process's memory limit alone
	for _, tt := range []struct {
		env, why string
		want     int
	}{
		{"", "GOGC unset", gcPercent},
		{"150", "GOGC set", 100},
	} {
		t.Setenv("GOGC", tt.env)
		tuneMemory(c)
		if got := debug.SetGCPercent(100); got != tt.want {
			t.Errorf("%s: GOGC %d, want %d", tt.why, got, tt.want)
		}
	}
}
