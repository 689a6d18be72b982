package mock

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"syscall"
	"testing"
	"time"
)

// plainFault is a fault rule that answers Starlette's plain-text 500, as the service
// does for an unhandled error.
var plainFault = FaultRule{Name: "plain 500", Status: http.StatusInternalServerError, RawBody: "Internal Server Error",
	Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, OffDocument: true}

// TestCloseAfterUnhandledError: after Starlette's plain 500 the fake closes the
// connection without "Connection: close", as uvicorn does (transport.json records it):
// the bytes of the answer arrive whole, then EOF, and a request sent on that
// connection gets no byte back. An ordinary answer, a 500 in the ErrorResponse shape,
// and the plain 500 with KeepAliveAfterError keep the connection.
func TestCloseAfterUnhandledError(t *testing.T) {
	t.Parallel()
	nan := "PATCH /v1/phone-numbers/" + sipID + " HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n" + `{"friendly_name":NaN}`
	fault := "PATCH /v1/phone-numbers/" + sipID + " HTTP/1.1\r\nHost: verbex-mock\r\nX-Verbex-Mock-Session: plain\r\nContent-Length: 2\r\n\r\n{}"
	ok := "PATCH /v1/phone-numbers/" + sipID + " HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	for _, c := range []struct {
		name, request string
		keep          bool
		status        int
		closed        bool
	}{
		{"a NaN echoed in a 422", nan, false, 500, true},
		{"a fault rule answering the plain 500", fault, false, 500, true},
		{"an ordinary answer", ok, false, 200, false},
		{"KeepAliveAfterError keeps it", nan, true, 500, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{KeepAliveAfterError: c.keep})
			if _, err := s.Session("plain").AddFault(plainFault); err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			br := bufio.NewReader(conn)
			res := roundTrip(t, conn, br, c.request)
			if res.StatusCode != c.status || res.Close || res.Header.Get("Connection") != "" {
				t.Fatalf("got %d, Connection %q; want %d without Connection", res.StatusCode, res.Header.Get("Connection"), c.status)
			}
			if c.status == 500 && res.Header.Get("Content-Type") != contentPlain {
				t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
			}
			_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, err = br.ReadByte()
			var ne net.Error
			switch {
			case c.closed && err != io.EOF:
				t.Fatalf("after the answer: %v, want EOF (the fake closed the connection)", err)
			case !c.closed && !(errors.As(err, &ne) && ne.Timeout()):
				t.Fatalf("after the answer: %v, want the connection still open", err)
			}
			if c.closed {
				// The next request on that connection gets nothing back.
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				_, _ = io.WriteString(conn, ok)
				if n, err := br.Read(make([]byte, 1)); n != 0 || !(err == io.EOF || errors.Is(err, syscall.ECONNRESET)) {
					t.Errorf("second request on the closed connection: %d bytes, %v", n, err)
				}
			}
			session := ""
			if c.request == fault {
				session = "plain"
			}
			got := s.Session(session).Requests()
			if len(got) != 1 || got[0].ConnectionClosed != c.closed {
				t.Errorf("journal: %+v, want one entry with connection_closed %v", got, c.closed)
			}
		})
	}
}

func roundTrip(t testing.TB, conn net.Conn, br *bufio.Reader, request string) *http.Response {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestClientReusingConnections: a Go http.Client that keeps connections alive sees the
// fake close after the plain 500; its next request either fails without an answer (it
// was sent on the closed connection) or goes on a fresh connection, never on the old
// one, and a fresh connection works.
func TestClientReusingConnections(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	client := ts.Client()
	do := func(body string) (int, bool, error) {
		var reused bool
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		r, err := http.NewRequestWithContext(ctx, http.MethodPatch, ts.URL+"/v1/phone-numbers/"+sipID, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		res, err := client.Do(r)
		if err != nil {
			return 0, reused, err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, reused, nil
	}
	if status, _, err := do(`{}`); err != nil || status != 200 {
		t.Fatalf("first: %d %v", status, err)
	}
	if status, reused, err := do(`{"friendly_name":NaN}`); err != nil || status != 500 || !reused {
		t.Fatalf("plain 500: %d reused %v %v; want 500 on the kept-alive connection", status, reused, err)
	}
	status, reused, err := do(`{}`)
	switch {
	case err != nil: // sent on the closed connection before the client noticed: no answer
	case reused || status != 200:
		t.Fatalf("after the plain 500: %d reused %v; want a fresh connection", status, reused)
	}
	if status, _, err := do(`{}`); err != nil || status != 200 {
		t.Fatalf("then: %d %v", status, err)
	}
}
