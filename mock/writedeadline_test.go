package mock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// deadlineConn records the write deadlines that reach the connection.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error { c.set = append(c.set, t); return nil }
func (c *deadlineConn) Write(p []byte) (int, error)        { return len(p), nil }

// lineConn leaves a write deadline where it is only when the new one is later by
// less than a sixteenth of the time it gives; every other move reaches the socket.
func TestWriteDeadlineSlack(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name       string
		prev, next time.Time
		applied    bool
	}{
		{"first", time.Time{}, now.Add(30 * time.Second), true},
		{"later by little", now.Add(30 * time.Second), now.Add(30*time.Second + 100*time.Millisecond), false},
		{"same", now.Add(30 * time.Second), now.Add(30 * time.Second), false},
		{"later by more than a sixteenth", now.Add(30 * time.Second), now.Add(33 * time.Second), true},
		{"earlier", now.Add(30 * time.Second), now.Add(29*time.Second + 900*time.Millisecond), true},
		{"cleared: at the next write", now.Add(30 * time.Second), time.Time{}, false},
		// A short timeout: the deadline left by the last answer has passed.
		{"short, the old one passed", now.Add(-10 * time.Millisecond), now.Add(50 * time.Millisecond), true},
		{"short, later by a fifth", now.Add(40 * time.Millisecond), now.Add(50 * time.Millisecond), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dc := &deadlineConn{}
			c := &lineConn{Conn: dc, writeBy: tt.prev}
			if err := c.SetWriteDeadline(tt.next); err != nil {
				t.Fatal(err)
			}
			if applied := len(dc.set) == 1; applied != tt.applied {
				t.Errorf("applied %v, want %v", applied, tt.applied)
			}
			if tt.applied && !c.writeBy.Equal(tt.next) {
				t.Errorf("remembered %v, want %v", c.writeBy, tt.next)
			}
		})
	}
}

// net/http clears the write deadline after every answer and the fake sets the next:
// on a busy connection the socket's deadline stays, and a write after a clear is
// never bound by the old deadline.
func TestWriteDeadlineClearedBeforeAWrite(t *testing.T) {
	t.Parallel()
	dc := &deadlineConn{}
	c := &lineConn{Conn: dc}
	now := time.Now()
	for i := range 100 { // answers a millisecond apart
		if err := c.SetWriteDeadline(now.Add(30*time.Second + time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetWriteDeadline(time.Time{})
	}
	if len(dc.set) != 1 {
		t.Errorf("%d deadlines reached the socket for 100 answers, want 1", len(dc.set))
	}
	// A write with no deadline set since the clear (an interim "100 Continue", an
	// error net/http writes itself) has none.
	if _, err := c.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if last := dc.set[len(dc.set)-1]; !last.IsZero() {
		t.Errorf("the write went out under the deadline %v, want none", last)
	}
}

// logSignal is a slog handler that reports the messages that begin with prefix.
type logSignal struct {
	prefix string
	msgs   chan string
}

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.msgs <- r.Message
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

// WriteTimeout cuts off a client that does not read its answer, on every answer of a
// kept-alive connection, however close together they come.
func TestWriteTimeoutCutsOffAClientThatDoesNotRead(t *testing.T) {
	t.Parallel()
	msgs := make(chan string, 64)
	const timeout = 300 * time.Millisecond
	s := newServer(t, Options{WriteTimeout: timeout, Logger: slog.New(logSignal{"answer cut off", msgs})})
	addr := startTransport(t, s)
	// Fifty large answers in the journal make a listing of some 9 MB, more than the
	// socket buffers hold.
	big := strings.Repeat("x", 60<<10)
	for range 50 {
		if r := serve(t, s, patch(sipID, `{"friendly_name":"`+big+`"}`), false); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	rd := bufio.NewReader(conn)
	// Small answers first, on the same connection: each moves the deadline.
	for range 20 {
		fmt.Fprintf(conn, "GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A client that pauses longer than a sixteenth of the timeout: the listing's
	// deadline is its own, not the last small answer's.
	time.Sleep(timeout / 3)
	start := time.Now()
	fmt.Fprintf(conn, "GET /__admin/requests HTTP/1.1\r\nHost: x\r\n\r\n")
	select { // the client reads nothing until the fake gives up
	case <-msgs:
	case <-time.After(30 * time.Second):
		t.Fatal("a client that does not read was not cut off")
	}
	waited := time.Since(start)
	if waited < timeout*15/16 {
		t.Errorf("cut off after %v, before 15/16 of the timeout %v", waited, timeout)
	}
}

// Read deadlines asked for while no read waits take effect when the next read
// starts, the last one asked for; one asked for while a read waits ends it at once.
func TestReadDeadlines(t *testing.T) {
	t.Parallel()
	pipe := func(t *testing.T) (*lineConn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		c := &lineConn{Conn: a}
		return c, b
	}
	past := time.Unix(1, 0)
	t.Run("a waiting read is ended", func(t *testing.T) {
		t.Parallel()
		c, _ := pipe(t)
		done := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 8))
			done <- err
		}()
		for waiting := false; !waiting; runtime.Gosched() { // until the read waits
			c.rmu.Lock()
			waiting = c.reading
			c.rmu.Unlock()
		}
		_ = c.SetReadDeadline(past)
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read ended with %v, want a deadline", err)
		}
	})
	t.Run("the last one asked for counts", func(t *testing.T) {
		t.Parallel()
		c, peer := pipe(t)
		_ = c.SetReadDeadline(past)
		_ = c.SetReadDeadline(time.Time{})
		go peer.Write([]byte("x"))
		if _, err := c.Read(make([]byte, 8)); err != nil {
			t.Errorf("read: %v, want the byte (the deadline was cleared)", err)
		}
	})
	t.Run("a future one bounds the next read", func(t *testing.T) {
		t.Parallel()
		c, _ := pipe(t)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read: %v, want a deadline", err)
		}
	})
}
