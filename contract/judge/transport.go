package judge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The runner's verdicts must not depend on how a server handles its connections:
// uvicorn closes a kept-alive connection after an unhandled error without saying
// so, and Go's client does not resend a PATCH that met the closed socket. The
// transport below resends what provably never reached the application, waits out a
// target that asks for it (429, 503), and counts both as notes, never failures.

// Bounds of waiting for a target that answers 429 or 503.
const (
	maxWaits      = 5                      // answers waited out per request; the next one is passed on
	maxRetryAfter = 20 * time.Second       // a longer Retry-After is capped to this
	firstBackoff  = 500 * time.Millisecond // without Retry-After: 0.5 s, 1 s, 2 s, …
	maxNoteTexts  = 5                      // examples kept in the report
)

// TransportNotes says what the runner's transport did besides sending each request
// once. None of it is a failure.
type TransportNotes struct {
	// Retried counts requests that failed on a reused connection before any byte of
	// an answer arrived and were sent again, once, on a new connection.
	Retried int `json:"retried"`
	// Waited counts 429 and 503 answers that were waited out (WaitedMS in all) and
	// the request sent again.
	Waited   int     `json:"waited"`
	WaitedMS float64 `json:"waited_ms"`
	// PassedOn counts 429 and 503 answers given to the check as they were: the
	// tries (maxWaits) or the time budget (--max-duration) ran out.
	PassedOn int `json:"passed_on"`
	// Retired counts kept-alive connections not used again after a 5xx answer.
	Retired int `json:"retired_connections"`
	// Examples are the first few notes in words.
	Examples []string `json:"examples,omitempty"`
}

// Any reports whether there is anything to say.
func (n *TransportNotes) Any() bool { return n != nil && n.Retried+n.Waited+n.PassedOn+n.Retired > 0 }

// Text is the report's line: "transport: 2 requests resent on a new connection, …".
func (n *TransportNotes) Text() string {
	return fmt.Sprintf("transport (not failures): %d requests resent on a new connection, %d connections not reused after a 5xx, %d answers 429/503 waited out (%.1fs), %d passed on after waiting",
		n.Retried, n.Retired, n.Waited, n.WaitedMS/1000, n.PassedOn)
}

// ResilientTransport wraps the transport of the runner and of the drift watch.
type ResilientTransport struct {
	base http.RoundTripper
	// fresh sends on a connection of its own (base without keep-alives); nil when base
	// is not an *http.Transport: then idle connections are closed before a resend.
	fresh http.RoundTripper
	// attempt bounds each attempt (the client's Timeout, moved here so that waiting
	// out a 429 does not count against one request's limit).
	attempt  time.Duration
	deadline func() time.Time // the run's time budget; zero: none
	wait     bool             // wait out 429 and 503 (the runner); the drift watch passes them on
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	notes TransportNotes
}

// Resilient returns a copy of c whose transport resends and retires connections as
// described above, and, when wait is set, waits out 429 and 503 answers within
// deadline (nil or zero: no budget).
func Resilient(c *http.Client, deadline func() time.Time, wait bool) (*http.Client, *ResilientTransport) {
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if deadline == nil {
		deadline = func() time.Time { return time.Time{} }
	}
	t := &ResilientTransport{base: base, attempt: cp.Timeout, deadline: deadline, wait: wait, now: time.Now, sleep: sleepCtx}
	if tr, ok := base.(*http.Transport); ok {
		own := tr.Clone()
		dial := own.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		own.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &retirableConn{Conn: conn}, nil
		}
		fresh := own.Clone()
		fresh.DisableKeepAlives = true
		t.base, t.fresh = own, fresh
	}
	cp.Transport, cp.Timeout = t, 0
	return &cp, t
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Notes returns what the transport did so far.
func (t *ResilientTransport) Notes() *TransportNotes {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.notes
	n.Examples = append([]string(nil), n.Examples...)
	return &n
}

func (t *ResilientTransport) note(fn func(n *TransportNotes), example string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(&t.notes)
	if len(t.notes.Examples) < maxNoteTexts {
		t.notes.Examples = append(t.notes.Examples, example)
	}
}

// CloseIdleConnections closes the transport's idle connections (at the end of a run).
func (t *ResilientTransport) CloseIdleConnections() {
	for _, rt := range []http.RoundTripper{t.base, t.fresh} {
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	}
}

// RoundTrip sends req; a 429 or 503 is waited out and req sent again, up to
// maxWaits times and never past the run's time budget.
func (t *ResilientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for waits := 0; ; waits++ {
		resp, err := t.retryOnce(req)
		if err != nil || !t.wait || resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			return resp, err
		}
		wait := retryAfter(resp.Header.Get("Retry-After"), t.now(), firstBackoff<<waits)
		what := fmt.Sprintf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
		if d := t.deadline(); waits >= maxWaits || !rewindable(req) || !d.IsZero() && t.now().Add(wait).After(d) {
			t.note(func(n *TransportNotes) { n.PassedOn++ }, what+" passed on: the tries or the time budget ran out")
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		t.note(func(n *TransportNotes) { n.Waited++; n.WaitedMS += float64(wait.Microseconds()) / 1000 }, fmt.Sprintf("%s waited %s", what, wait))
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// retryOnce sends req; when it fails on a reused connection before any byte of an
// answer arrived, the request never reached the application (or the server closed
// the connection under it): it is sent once more on a new connection.
func (t *ResilientTransport) retryOnce(req *http.Request) (*http.Response, error) {
	resp, reused, answered, err := t.send(t.base, req)
	if err == nil || !reused || answered || !rewindable(req) || req.Context().Err() != nil {
		return resp, err
	}
	again, rerr := rewind(req)
	if rerr != nil {
		return nil, err
	}
	via := t.fresh
	if via == nil {
		via = t.base
		t.CloseIdleConnections()
	}
	resp, _, _, err2 := t.send(via, again)
	if err2 != nil {
		return nil, fmt.Errorf("%w (sent again on a new connection: %w)", err, err2)
	}
	t.note(func(n *TransportNotes) { n.Retried++ }, fmt.Sprintf("%s %s: %v on a reused connection before any answer; sent again on a new one", req.Method, req.URL.Path, err))
	return resp, nil
}

// send makes one attempt through rt, reporting whether the connection was reused
// and whether any byte of an answer arrived. After a 5xx on HTTP/1 the connection
// is retired: the server may close it (uvicorn does, without Connection: close).
func (t *ResilientTransport) send(rt http.RoundTripper, req *http.Request) (resp *http.Response, reused, answered bool, err error) {
	var wasReused, gotByte atomic.Bool
	var conn atomic.Value
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			wasReused.Store(info.Reused)
			if info.Conn != nil {
				conn.Store(info.Conn)
			}
		},
		GotFirstResponseByte: func() { gotByte.Store(true) },
	})
	cancel := context.CancelFunc(func() {})
	if t.attempt > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.attempt)
	}
	resp, err = rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, wasReused.Load(), gotByte.Load(), err
	}
	if resp.StatusCode >= 500 && resp.ProtoMajor == 1 {
		if c, ok := conn.Load().(net.Conn); ok && retire(c) {
			t.note(func(n *TransportNotes) { n.Retired++ }, fmt.Sprintf("%s %s: %d; its connection is not used again", req.Method, req.URL.Path, resp.StatusCode))
		}
	}
	resp.Body = &CancelOnClose{ReadCloser: resp.Body, Cancel: cancel} // the attempt ends once the answer is read
	return resp, wasReused.Load(), true, nil
}

func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewind is req with its body from the start, to send again.
func rewind(req *http.Request) (*http.Request, error) {
	again := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("sending %s %s again: %w", req.Method, req.URL.Path, err)
		}
		again.Body = body
	}
	return again, nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date) as a wait, capped
// at maxRetryAfter; without one, or one that cannot be read, the back-off.
func retryAfter(h string, now time.Time, backoff time.Duration) time.Duration {
	wait := min(backoff, maxRetryAfter)
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil && secs >= 0 {
		wait = maxRetryAfter
		if secs < int64(maxRetryAfter/time.Second) {
			wait = time.Duration(secs) * time.Second
		}
	} else if at, err := http.ParseTime(h); err == nil {
		wait = min(max(at.Sub(now), 0), maxRetryAfter)
	}
	return wait
}

// retirableConn is a connection the transport can stop reusing: a write on a retired
// connection fails before a byte is written, which Go's transport answers by sending
// the request on another connection (a request nothing was written of is safe to
// resend).
type retirableConn struct {
	net.Conn
	retired atomic.Bool
}

var errRetired = errors.New("connection retired after a 5xx answer")

func (c *retirableConn) Write(b []byte) (int, error) {
	if c.retired.Load() {
		c.Conn.Close()
		return 0, errRetired
	}
	return c.Conn.Write(b)
}

// retire marks the connection under c (a TLS connection's too) as not to be reused;
// it reports whether it did.
func retire(c net.Conn) bool {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	rc, ok := c.(*retirableConn)
	return ok && !rc.retired.Swap(true)
}
