// Package capture is for tests only: a server that records every request as it read
// it, and the running of a reproduction line (judge.Curl) through sh against it, so
// that a test compares the bytes the runner sent with the bytes the line sends. Not
// an API.
package capture

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request as a server read it: everything a client can vary.
type Request struct {
	Method, Target, Host, Proto string
	Header                      http.Header
	TransferEncoding            []string
	Body                        []byte
}

// Read records r (its body read whole) and gives r a copy of the body to read again.
func Read(r *http.Request) Request {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return Request{Method: r.Method, Target: r.RequestURI, Host: r.Host, Proto: r.Proto,
		Header: r.Header.Clone(), TransferEncoding: r.TransferEncoding, Body: body}
}

// Recorder records every request before next serves it (204 when next is nil).
type Recorder struct {
	next http.Handler
	mu   sync.Mutex
	got  []Request
}

// NewRecorder records the requests next serves.
func NewRecorder(next http.Handler) *Recorder { return &Recorder{next: next} }

func (c *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := Read(r)
	c.mu.Lock()
	c.got = append(c.got, got)
	c.mu.Unlock()
	if c.next == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c.next.ServeHTTP(w, r)
}

// Take returns the requests recorded so far and forgets them.
func (c *Recorder) Take() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.got
	c.got = nil
	return out
}

// NewServer serves a Recorder of next on loopback, closed when the test ends.
func NewServer(t testing.TB, next http.Handler) (*httptest.Server, *Recorder) {
	t.Helper()
	rec := NewRecorder(next)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv, rec
}

// RunLine runs a reproduction line through sh (dash where it is /bin/sh) with env
// added to the environment; the test is skipped when curl is not installed.
func RunLine(t testing.TB, line string, env map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The line is a script on sh's stdin, not an argument: a long body must not
	// meet the kernel's argument limit here when it would not in a terminal.
	cmd := exec.CommandContext(ctx, "sh", "-s")
	cmd.Stdin = strings.NewReader(line + "\n")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sh: %v\n%s\nline: %.2000s", err, out.String(), line)
	}
}

// Diff says how two recorded requests differ ("" when they do not).
func Diff(want, got Request) string {
	var diffs []string
	if want.Method != got.Method || want.Target != got.Target || want.Host != got.Host || want.Proto != got.Proto {
		diffs = append(diffs, "request line: sent "+want.Method+" "+want.Target+" "+want.Proto+" (Host "+want.Host+"), line "+got.Method+" "+got.Target+" "+got.Proto+" (Host "+got.Host+")")
	}
	if !reflect.DeepEqual(want.Header, got.Header) {
		diffs = append(diffs, "headers: sent "+headerText(want.Header)+", line "+headerText(got.Header))
	}
	if !reflect.DeepEqual(want.TransferEncoding, got.TransferEncoding) {
		diffs = append(diffs, "transfer encoding differs")
	}
	if !bytes.Equal(want.Body, got.Body) {
		diffs = append(diffs, "body: sent "+short(want.Body)+", line "+short(got.Body))
	}
	return strings.Join(diffs, "; ")
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return strings.ReplaceAll(b.String(), "\r\n", " | ")
}

func short(b []byte) string {
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "…(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return strconv.Quote(string(b))
}
