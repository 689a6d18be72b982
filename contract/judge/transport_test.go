package judge

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawServer is a loopback HTTP/1.1 server that misbehaves on purpose: each request
// (numbered from 0 across connections) gets what its script says, written as raw
// bytes, so that the server can close a connection exactly where uvicorn would.
type rawServer struct {
	url string

	mu     sync.Mutex
	conns  int      // connections accepted
	bodies []string // every request body received, in order
	onConn []int    // the connection (from 0) each request came on
}

// reply is what the server does with one request.
type reply struct {
	raw string // bytes to write ("" writes nothing)
	// close closes the connection after raw; closeOnNext reads the next request on
	// the same connection and closes it without answering (uvicorn after an
	// unhandled error).
	close, closeOnNext bool
}

func ok200() reply {
	return reply{raw: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"}
}

func plain500() reply {
	return reply{raw: "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\nInternal Server Error", closeOnNext: true}
}

func status(code int, header string) reply {
	return reply{raw: "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n" + header + "Content-Length: 0\r\n\r\n"}
}

func startRaw(t testing.TB, script func(i int) reply) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{url: "http://" + ln.Addr().String()}
	var wg sync.WaitGroup
	var open sync.Map
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			open.Store(c, true)
			s.mu.Lock()
			n := s.conns
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s.serve(c, n, script)
			}()
		}
	}()
	return s
}

func (s *rawServer) serve(c net.Conn, conn int, script func(i int) reply) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		s.mu.Lock()
		i := len(s.bodies)
		s.bodies = append(s.bodies, string(body))
		s.onConn = append(s.onConn, conn)
		s.mu.Unlock()
		rp := script(i)
		if _, err := io.WriteString(c, rp.raw); err != nil || rp.close {
			return
		}
		if rp.closeOnNext {
			if _, err := http.ReadRequest(br); err == nil {
				s.mu.Lock()
				s.bodies = append(s.bodies, "(dropped)")
				s.onConn = append(s.onConn, conn)
				s.mu.Unlock()
			}
			return
		}
	}
}

func (s *rawServer) seen() (conns int, bodies []string, onConn []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, append([]string(nil), s.bodies...), append([]int(nil), s.onConn...)
}

// fakeClock stands still; sleeping records the wait and returns at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func testClient(t testing.TB, budget time.Duration) (*http.Client, *ResilientTransport, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	deadline := time.Time{}
	if budget > 0 {
		deadline = clock.now.Add(budget)
	}
	c, tr := Resilient(&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}, func() time.Time { return deadline }, true)
	tr.now, tr.sleep = clock.Now, clock.Sleep
	t.Cleanup(tr.CloseIdleConnections)
	return c, tr, clock
}

// patchBody sends a PATCH with a body, as the runner does, and reads the answer.
func patchBody(c *http.Client, url, body string) (int, error) {
	req, err := http.NewRequest(http.MethodPatch, url+"/v1/phone-numbers/x", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return resp.StatusCode, err
}

func TestTransportConnections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script func(i int) reply
		// want: the second request's status (0: an error), how many resends were
		// noted, what the server received (bodies) and on which connections.
		want       int
		retried    int
		retired    int
		wantBodies []string
		wantConns  []int
	}{
		{
			// uvicorn after an unhandled error: a 500 without Connection: close, then
			// the connection is closed under the next request. The 5xx retires the
			// connection, so the next request goes on a new one: nothing to resend.
			name:   "after a 500 the connection is not reused",
			script: func(i int) reply { return map[bool]reply{true: plain500(), false: ok200()}[i == 0] },
			want:   200, retried: 0, retired: 1,
			wantBodies: []string{`{"a":1}`, `{"a":2}`}, wantConns: []int{0, 1},
		},
		{
			// A server that closes a kept-alive connection under the next request
			// after a 200: the request failed before any byte of an answer on a reused
			// connection, so it is sent again, once, with the same body.
			name: "closed under a reused connection: sent again on a new one",
			script: func(i int) reply {
				if i == 0 {
					r := ok200()
					r.closeOnNext = true
					return r
				}
				return ok200()
			},
			want: 200, retried: 1,
			wantBodies: []string{`{"a":1}`, "(dropped)", `{"a":2}`}, wantConns: []int{0, 0, 1},
		},
		{
			// Bytes of an answer arrived before the connection broke: the application
			// may have acted on the PATCH, so it is never sent again.
			name: "a failure after bytes of an answer is not retried",
			script: func(i int) reply {
				if i == 0 {
					return ok200()
				}
				return reply{raw: "HTTP/1.1 200 OK\r\nContent-Le", close: true}
			},
			want: 0, retried: 0,
			wantBodies: []string{`{"a":1}`, `{"a":2}`}, wantConns: []int{0, 0},
		},
		{
			// The first request is on a new connection: a failure there is the
			// server's, not a stale connection's, and is not retried.
			name:   "a new connection failing is not retried",
			script: func(i int) reply { return reply{close: true} },
			want:   0, retried: 0,
			wantBodies: []string{`{"a":1}`, `{"a":2}`}, wantConns: []int{0, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startRaw(t, tt.script)
			c, tr, _ := testClient(t, 0)
			_, _ = patchBody(c, srv.url, `{"a":1}`)
			got, err := patchBody(c, srv.url, `{"a":2}`)
			if got != tt.want || (tt.want == 0) != (err != nil) {
				t.Errorf("second request: status %d, error %v; want status %d", got, err, tt.want)
			}
			if n := tr.Notes(); n.Retried != tt.retried || n.Retired != tt.retired {
				t.Errorf("retried %d, retired %d; want %d, %d (%v)", n.Retried, n.Retired, tt.retried, tt.retired, n.Examples)
			}
			_, bodies, onConn := srv.seen()
			if strings.Join(bodies, " ") != strings.Join(tt.wantBodies, " ") || len(onConn) != len(tt.wantConns) {
				t.Errorf("server received %q on connections %v, want %q on %v", bodies, onConn, tt.wantBodies, tt.wantConns)
			} else {
				for i := range onConn {
					if onConn[i] != tt.wantConns[i] {
						t.Errorf("server received %q on connections %v, want %v", bodies, onConn, tt.wantConns)
						break
					}
				}
			}
		})
	}
}

func TestTransportWaits(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC) // the fake clock's now
	tests := []struct {
		name    string
		first   []reply // answers before the 200s
		budget  time.Duration
		want    int
		slept   []time.Duration
		waited  int
		passed  int
		servedN int // requests the server received
	}{
		{"429 with Retry-After in seconds", []reply{status(429, "Retry-After: 2\r\n")}, 0, 200, []time.Duration{2 * time.Second}, 1, 0, 2},
		{"503 without Retry-After backs off", []reply{status(503, ""), status(503, "")}, 0, 200, []time.Duration{firstBackoff, 2 * firstBackoff}, 2, 0, 3},
		{"Retry-After as an HTTP date", []reply{status(429, "Retry-After: "+at.Add(3*time.Second).Format(http.TimeFormat)+"\r\n")}, 0, 200, []time.Duration{3 * time.Second}, 1, 0, 2},
		{"a date in the past waits nothing", []reply{status(503, "Retry-After: "+at.Add(-time.Hour).Format(http.TimeFormat)+"\r\n")}, 0, 200, []time.Duration{0}, 1, 0, 2},
		{"a huge Retry-After is capped", []reply{status(429, "Retry-After: 99999999999\r\n")}, 0, 200, []time.Duration{maxRetryAfter}, 1, 0, 2},
		{"an unreadable Retry-After backs off", []reply{status(429, "Retry-After: soon\r\n")}, 0, 200, []time.Duration{firstBackoff}, 1, 0, 2},
		{"a wait past the time budget is not made", []reply{status(429, "Retry-After: 5\r\n")}, 4 * time.Second, 429, nil, 0, 1, 1},
		{"tries are bounded", []reply{
			status(503, ""), status(503, ""), status(503, ""), status(503, ""), status(503, ""), status(503, ""), status(503, ""),
		}, 0, 503, []time.Duration{firstBackoff, 2 * firstBackoff, 4 * firstBackoff, 8 * firstBackoff, 16 * firstBackoff}, maxWaits, 1, maxWaits + 1},
		{"other statuses are not waited for", []reply{status(500, "Retry-After: 1\r\n")}, 0, 500, nil, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startRaw(t, func(i int) reply {
				if i < len(tt.first) {
					return tt.first[i]
				}
				return ok200()
			})
			c, tr, clock := testClient(t, tt.budget)
			got, err := patchBody(c, srv.url, `{"a":1}`)
			if err != nil || got != tt.want {
				t.Fatalf("status %d, error %v; want %d", got, err, tt.want)
			}
			if len(clock.slept) != len(tt.slept) {
				t.Errorf("slept %v, want %v", clock.slept, tt.slept)
			}
			for i := range min(len(clock.slept), len(tt.slept)) {
				if clock.slept[i] != tt.slept[i] {
					t.Errorf("slept %v, want %v", clock.slept, tt.slept)
					break
				}
			}
			n := tr.Notes()
			if n.Waited != tt.waited || n.PassedOn != tt.passed {
				t.Errorf("notes %+v, want waited %d, passed on %d", n, tt.waited, tt.passed)
			}
			_, bodies, _ := srv.seen()
			if len(bodies) != tt.servedN {
				t.Errorf("server received %d requests, want %d", len(bodies), tt.servedN)
			}
			for _, b := range bodies {
				if b != `{"a":1}` {
					t.Errorf("a request sent again carried %q, want the same body", b)
				}
			}
		})
	}
}
