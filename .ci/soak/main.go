// Command soak starts verbex-mock and treats it as a careless or hostile crowd would
// for a bounded time, on 127.0.0.1 only: thousands of idle keep-alive connections,
// slow uploads, many sessions with large bodies and headers, chunked bodies parked in
// a delay rule (small and large), a session hogging the state budget with fault
// rules, a session flooding the journal, clients that give up waiting, answers many
// times their request left unread, 1 MiB JSON arrays in PATCHes and admin bodies. Meanwhile a probe in its own
// session asks /__admin/health on a new connection (as the image's HEALTHCHECK does)
// and sends a PATCH, ten times a second. It fails if a probe fails, if the probe's
// 99th percentile reaches 100 ms, or if the fake's RSS reaches the ceiling.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "verbex-mock binary")
	duration := flag.Duration("duration", 60*time.Second, "how long the crowd stays")
	idle := flag.Int("idle", 3000, "idle keep-alive connections")
	slow := flag.Int("slow", 200, "slow uploads (1 byte a second)")
	sessions := flag.Int("sessions", 400, "sessions with large bodies and headers")
	ceiling := flag.Int64("rss-ceiling-mb", 304, "fail at this RSS: the README's 272 MiB memory limit and what the runtime holds above a soft limit")
	flag.Parse()
	if err := run(*bin, *duration, *idle, *slow, *sessions, *ceiling<<20); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(bin string, duration time.Duration, idle, slow, sessions int, ceiling int64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(idle+slow+512) {
		lim.Cur = min(lim.Max, uint64(idle+slow+512))
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/__admin/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the fake did not start")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	var crowdErrs atomic.Int64

	// Idle keep-alives: one request each, then silence.
	go func() {
		for i := 0; i < idle && ctx.Err() == nil; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				crowdErrs.Add(1)
				continue
			}
			fmt.Fprintf(c, "GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			go func() { <-ctx.Done(); c.Close() }()
		}
	}()
	// Slow uploads: a large body announced, a byte a second.
	for range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
			for ctx.Err() == nil {
				if _, err := c.Write([]byte(" ")); err != nil {
					return // cut off by the read timeout: as it should be
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	// Sessions with large bodies and headers, sent again and again.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	pad := strings.Repeat("p", 8<<10)
	body := `{"friendly_name":"` + strings.Repeat("b", 60<<10) + `","sip_trunk_password":"soak-secret"}`
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += 8 {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, base+"/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Verbex-Mock-Session", "soak-"+strconv.Itoa(i%sessions))
				req.Header.Set("X-Pad", pad)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}

	attack(ctx, &wg, client, base, addr)
	amplify(ctx, &wg, client, base, addr)

	// The probe and the RSS sampler.
	var probes, failures int
	var worst time.Duration
	var health, patches []time.Duration
	var maxRSS int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			start := time.Now()
			probes++
			if err := check(probe, base, &health, &patches); err != nil {
				failures++
				fmt.Fprintf(os.Stderr, "probe %d failed: %v\n", probes, err)
			}
			worst = max(worst, time.Since(start))
			maxRSS = max(maxRSS, rss(cmd.Process.Pid))
		}
	}
	holding := held(base) // before the crowd leaves: what the budgets hold under it
	cancel()
	wg.Wait()
	fmt.Printf("soak: %s, %d idle connections, %d slow uploads, %d sessions of 60 KB bodies and 8 KB headers\n", duration, idle, slow, sessions)
	fmt.Printf("soak: probes %d, failed %d, slowest %s; fake's peak RSS %.1f MB (ceiling %d MB)\n",
		probes, failures, worst.Round(time.Millisecond), float64(maxRSS)/(1<<20), ceiling>>20)
	hp, pp := p99(health), p99(patches)
	fmt.Printf("soak: probe p99 health %s, PATCH %s (in its own session, beside the attack)\n", hp.Round(100*time.Microsecond), pp.Round(100*time.Microsecond))
	fmt.Printf("soak: at the end the sessions held %s\n", holding)
	if failures > 0 {
		return fmt.Errorf("%d of %d probes failed", failures, probes)
	}
	if hp >= 100*time.Millisecond || pp >= 100*time.Millisecond {
		return fmt.Errorf("the probe's 99th percentile reached 100 ms")
	}
	if maxRSS >= ceiling {
		return fmt.Errorf("peak RSS %d MB reached the %d MB ceiling", maxRSS>>20, ceiling>>20)
	}
	return nil
}

// check is one health check on a new connection and one PATCH in the probe's own
// session, each timed.
func check(c *http.Client, base string, health, patches *[]time.Duration) error {
	start := time.Now()
	resp, err := c.Get(base + "/__admin/health")
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	*health = append(*health, time.Since(start))
	if resp.StatusCode != 200 {
		return fmt.Errorf("health: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPatch, base+"/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c904", strings.NewReader(`{"friendly_name":"probe"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Verbex-Mock-Session", "probe")
	start = time.Now()
	resp, err = c.Do(req)
	if err != nil {
		return fmt.Errorf("patch: %w", err)
	}
	resp.Body.Close()
	*patches = append(*patches, time.Since(start))
	if resp.StatusCode != 200 {
		return fmt.Errorf("patch: %d", resp.StatusCode)
	}
	return nil
}

// rss reads a process's resident set from /proc, in bytes.
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*99/100)]
}

// attack starts the crowd that targets the sessions' shares: chunked bodies parked in
// a delay rule, a session hogging the state budget with fault rules, a session
// flooding the journal with 64 KiB bodies, and clients that send a large body and
// leave before it is answered.
func attack(ctx context.Context, wg *sync.WaitGroup, client *http.Client, base, addr string) {
	post := func(path, body string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	post("/__admin/faults?session=park", `{"delay":"1h","match":{"method":"PATCH"}}`)
	// Chunked {} bodies parked in the delay rule, 64 at a time.
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Verbex-Mock-Session: park\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
				<-ctx.Done()
				c.Close()
			}
		}()
	}
	// A state hog: rules of about 200 KiB until refused, again and again.
	wg.Add(1)
	go func() {
		defer wg.Done()
		rule := `{"status":500,"off_document":true,"raw_body":"` + strings.Repeat("h", 200<<10) + `","match":{"phone_number_id":"none"}}`
		for i := 0; ctx.Err() == nil; i++ {
			post("/__admin/faults?session=hog"+strconv.Itoa(i%4), rule)
		}
	}()
	// A journal flood: 64 KiB bodies in one session.
	wg.Add(1)
	go func() {
		defer wg.Done()
		body := `{"friendly_name":"` + strings.Repeat("f", 64<<10) + `"}`
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, base+"/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c902", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Verbex-Mock-Session", "flood")
			if resp, err := client.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	// Abandoned waiters: a 1 MiB body announced, half sent, then the client leaves.
	wg.Add(1)
	go func() {
		defer wg.Done()
		half := strings.Repeat(" ", 512<<10)
		for ctx.Err() == nil {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n%s", half)
			c.Close()
			time.Sleep(20 * time.Millisecond) // fifty a second: a crowd, not a CPU test
		}
	}()
}

// amplify starts the crowd that targets what requests become: 1 MiB text bodies of
// control bytes whose 19 MB 422s are left unread, PATCHes and admin bodies carrying a
// 1 MiB JSON array and ones of 8,000 values (a tree and an echo), large chunked
// bodies parked in a delay rule, and uploads abandoned while they wait for room.
func amplify(ctx context.Context, wg *sync.WaitGroup, client *http.Client, base, addr string) {
	send := func(method, path, contentType, session string, body []byte) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Verbex-Mock-Session", session)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	// Unread amplified answers: 16 connections at a time, each reading nothing.
	control := bytes.Repeat([]byte{1}, 1<<20)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					continue
				}
				fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nX-Verbex-Mock-Session: amp\r\nContent-Length: %d\r\n\r\n", len(control))
				stop := context.AfterFunc(ctx, func() { c.Close() })
				c.Write(control)
				select { // held until the write timeout or the end
				case <-ctx.Done():
				case <-time.After(35 * time.Second):
				}
				stop()
				c.Close()
			}
		}()
	}
	// Big arrays: refused before a tree is built (1 MiB), or decoded and echoed (8,000).
	huge := []byte(`{"friendly_name":[` + strings.TrimSuffix(strings.Repeat("0,", 500_000), ",") + `]}`)
	some := []byte(`{"friendly_name":[` + strings.TrimSuffix(strings.Repeat("0,", 8000), ",") + `]}`)
	rule := []byte(`{"status":500,"body":[` + strings.TrimSuffix(strings.Repeat("0,", 500_000), ",") + `]}`)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				send(http.MethodPatch, "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", "application/json", "arrays", huge)
				send(http.MethodPatch, "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901", "application/json", "arrays", some)
				if w == 0 {
					send(http.MethodPost, "/__admin/faults?session=arrays", "application/json", "arrays", rule)
				}
				time.Sleep(50 * time.Millisecond) // a crowd, not a CPU test

			}
		}()
	}
	// Large chunked bodies parked in a delay rule, 32 at a time, in four sessions.
	big := `{"friendly_name":"` + strings.Repeat("p", 200<<10) + `"}`
	for i := range 4 {
		send(http.MethodPost, "/__admin/faults?session=parkbig"+strconv.Itoa(i), "application/json", "", []byte(`{"delay":"1h","match":{"method":"PATCH"}}`))
	}
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Verbex-Mock-Session: parkbig%d\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", i%4, len(big), big)
				stop := context.AfterFunc(ctx, func() { c.Close() })
				io.Copy(io.Discard, c) // a 503 when its session's share is spent; else it sleeps
				stop()
				c.Close()
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	// Abandoned waiters: 1 MiB announced, nothing sent, gone at once; 200 a second.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			fmt.Fprintf(c, "PATCH /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{")
			c.Close()
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// held sums what GET /__admin/sessions says the sessions hold.
func held(base string) string {
	resp, err := http.Get(base + "/__admin/sessions")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var list struct {
		Sessions []struct {
			JournalBytes int64 `json:"journal_bytes"`
			StateBytes   int64 `json:"state_bytes"`
		} `json:"sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return err.Error()
	}
	var j, st int64
	for _, s := range list.Sessions {
		j += s.JournalBytes
		st += s.StateBytes
	}
	return fmt.Sprintf("%d sessions, journal %.1f MiB, state %.1f MiB", len(list.Sessions), float64(j)/(1<<20), float64(st)/(1<<20))
}
