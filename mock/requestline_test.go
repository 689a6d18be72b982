package mock

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// transportCase is one case of testdata/reference/transport.json: raw bytes sent to
// uvicorn (in pieces of Pieces bytes, 0 for one write), what came back (the date
// blanked) and how the connection ended ("eof" or "open").
type transportCase struct {
	Rule, Request, Answer, End string
	Pieces                     int
}

func loadTransportCases(t testing.TB) []transportCase {
	t.Helper()
	data, err := os.ReadFile("testdata/reference/transport.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []transportCase }
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 20 {
		t.Fatalf("transport corpus has %d cases", len(ref.Cases))
	}
	return ref.Cases
}

// latin1Bytes turns the corpus's one-rune-per-byte text back into bytes.
func latin1Bytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

// startTransport serves s on a loopback listener wrapped by Listener.
func startTransport(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: Listener(ln), Config: &http.Server{Handler: s}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ln.Addr().String()
}

// exchangeRaw sends raw on a fresh connection and reads until the server closes it
// or is quiet for a moment; the answer comes back with its date blanked.
func exchangeRaw(t testing.TB, addr string, raw []byte, pieces int) (answer []byte, end string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	step := len(raw)
	if pieces > 0 {
		step = pieces
	}
	for i := 0; i < len(raw); i += step {
		if _, err := conn.Write(raw[i:min(i+step, len(raw))]); err != nil {
			break // the server answered and closed before the whole request was sent
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	answer, err = io.ReadAll(conn)
	var ne net.Error
	switch {
	case err == nil:
		end = "eof"
	case errors.As(err, &ne) && ne.Timeout():
		end = "open"
	default:
		end = err.Error()
	}
	return answer, end
}

// normalAnswer is an answer as a client reads it: the status line, the header lines
// with lower-case names (without date and server, which uvicorn adds and Go does not
// name alike), sorted, and the body.
func normalAnswer(t testing.TB, answer []byte) string {
	t.Helper()
	head, body, ok := strings.Cut(string(answer), "\r\n\r\n")
	if !ok {
		t.Fatalf("no head in %q", answer)
	}
	lines := strings.Split(head, "\r\n")
	var headers []string
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		name = strings.ToLower(name)
		if name != "date" && name != "server" {
			headers = append(headers, name+":"+strings.TrimSpace(value))
		}
	}
	slices.Sort(headers)
	return lines[0] + "\n" + strings.Join(headers, "\n") + "\n\n" + body
}

// TestTransportReference replays testdata/reference/transport.json (recorded from
// uvicorn and h11 by transport.py) against the fake behind Listener, over TCP:
// uvicorn's 400 byte for byte, the absolute-form 404, the plain 500 and the close
// after it, lenient escapes and the 16 KiB request line. Where the reference app's
// route answered 200 with the id it was given, the fake's route answers the 404 of an
// unknown number with that same id.
func TestTransportReference(t *testing.T) {
	t.Parallel()
	addr := startTransport(t, newServer(t, Options{}))
	for _, c := range loadTransportCases(t) {
		raw := latin1Bytes(c.Request)
		want := latin1Bytes(c.Answer)
		t.Run(c.Rule, func(t *testing.T) {
			t.Parallel()
			if strings.HasPrefix(c.Rule, "an unhandled error") {
				// The fake's unhandled error: a NaN echoed in a 422.
				raw = []byte("PATCH /v1/phone-numbers/" + sipID + " HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n" + `{"friendly_name":NaN}`)
			}
			got, end := exchangeRaw(t, addr, raw, c.Pieces)
			if end != c.End {
				t.Errorf("connection %s, want %s", end, c.End)
			}
			if strings.HasPrefix(c.Answer, "HTTP/1.1 400 ") {
				if string(got) != string(want) {
					t.Errorf("got %q\nwant %q", got, want)
				}
				return
			}
			var routed struct {
				ID string `json:"_id"`
			}
			_, body, _ := strings.Cut(c.Answer, "\r\n\r\n")
			if json.Unmarshal(want[len(want)-len(body):], &routed) == nil && routed.ID != "" && routed.ID != sipID {
				want = []byte("HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: " +
					itoa(len(notFoundBody(routed.ID))) + "\r\n\r\n" + string(notFoundBody(routed.ID)))
			}
			if routed.ID == sipID {
				// The route answered; what the fake's record holds is not the reference app's.
				if !strings.HasPrefix(string(got), "HTTP/1.1 200 OK\r\n") {
					t.Errorf("got %.80q, want 200", got)
				}
				return
			}
			if g, w := normalAnswer(t, got), normalAnswer(t, want); g != w {
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRequestLineKeepAlive: the check runs on every request of a kept-alive
// connection, also when net/http's background read takes the first byte of the next
// request, and a request after an ordinary one is refused or rewritten as the first.
func TestRequestLineKeepAlive(t *testing.T) {
	t.Parallel()
	addr := startTransport(t, newServer(t, Options{}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	get := func(target string) *http.Response {
		return roundTrip(t, conn, br, "PATCH "+target+" HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
	}
	for i := 0; i < 3; i++ {
		if res := get("/v1/phone-numbers/" + sipID); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
		if res := get("/v1/phone-numbers/%zz"); res.StatusCode != 404 {
			t.Fatalf("lenient escape on a kept-alive connection: %d", res.StatusCode)
		}
	}
	// An interim 100 Continue is not the end of a request: the body that follows is
	// not read as a request line.
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(conn, "PATCH /v1/phone-numbers/"+sipID+" HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 100 {
		t.Fatalf("want 100 Continue: %v", err)
	}
	_, _ = io.WriteString(conn, "{}")
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("after 100 Continue: %v %v", res, err)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	_, _ = io.WriteString(conn, "GARBAGE\r\n\r\n")
	rest, _ := io.ReadAll(br)
	if string(rest) != uvicornBadRequest {
		t.Fatalf("malformed line on a kept-alive connection: %q", rest)
	}
}

// TestCheckRequestLine covers h11's grammar edge by edge.
func TestCheckRequestLine(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]int{
		"PATCH /a HTTP/1.1\r\n":        lineOK,
		"PATCH /a HTTP/1.1\n":          lineOK,
		"patch /a HTTP/1.0\r\n":        lineOK,
		"PATCH /a?x=%zz HTTP/1.1\r\n":  lineOK,
		"PATCH /%zz HTTP/1.1\r\n":      lineRewrite,
		"PATCH /a%4 HTTP/1.1\r\n":      lineRewrite,
		"PATCH /%2f HTTP/1.1\r\n":      lineOK,
		"PATCH /a HTTP/1.1 \r\n":       lineBad,
		"PATCH /a HTTP/11\r\n":         lineBad,
		"PATCH /a  HTTP/1.1\r\n":       lineBad,
		"PATCH /a\r\n":                 lineBad,
		"\r\n":                         lineBad,
		"PATCH /\x80 HTTP/1.1\r\n":     lineBad,
		"PATCH /a b HTTP/1.1\r\n":      lineBad,
		"PAT\x00CH /a HTTP/1.1\r\n":    lineBad,
		"PATCH /a HTTP/1.1\r\r\n":      lineBad,
		"PATCH * HTTP/1.1\r\n":         lineOK,
		"PATCH http://h/a HTTP/1.1\n":  lineRewrite,
		"PATCH a HTTP/1.1\n":           lineRewrite,
		"PATCH /a\tb HTTP/1.1\r\n":     lineBad,
		"PATCH /a HTTP/1.1x\r\n":       lineBad,
		"PATCH /a%2 HTTP/1.1\r\n":      lineRewrite,
		"PATCH /a% HTTP/1.1\r\n":       lineRewrite,
		"PATCH /a%zz?%zz HTTP/1.1\r\n": lineRewrite,
	} {
		if got := checkRequestLine([]byte(line)); got != want {
			t.Errorf("%q: %d, want %d", line, got, want)
		}
	}
	for line, want := range map[string]string{
		"PATCH /a%zz%41%?%zz HTTP/1.1\r\n": "PATCH /a%25zz%41%25?%zz HTTP/1.1\r\n",
		"PATCH http://h/a%2 HTTP/1.1\r\n":  "PATCH /http://h/a%252 HTTP/1.1\r\n",
		"PATCH * HTTP/1.1\r\n":             "PATCH * HTTP/1.1\r\n",
	} {
		if got := string(rewriteLine([]byte(line))); got != want {
			t.Errorf("rewriteLine(%q) = %q, want %q", line, got, want)
		}
	}
}
