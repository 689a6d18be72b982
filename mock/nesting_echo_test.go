package mock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// echoCase is one case of testdata/reference/nesting_echo.json: a body nesting Depth
// deep, built from its recipe, sent to the reference app on uvicorn, what came back
// (date and server blanked), how the connection ended ("eof" or "open") and, for a
// 500, the error uvicorn logged.
type echoCase struct {
	Shape string
	Depth int
	Body  struct {
		Head, Open, Leaf, Close, Tail string
		Times                         int
	}
	Answer, End string
	Error       string // what uvicorn logged for a 500
}

func (c *echoCase) body() []byte {
	b := c.Body
	return []byte(b.Head + strings.Repeat(b.Open, b.Times) + b.Leaf + strings.Repeat(b.Close, b.Times) + b.Tail)
}

// bracketDepth is how deep a body's arrays and objects nest; the corpus's strings
// hold no brackets.
func bracketDepth(b []byte) int {
	deepest, level := 0, 0
	for _, c := range b {
		switch c {
		case '[', '{':
			level++
			deepest = max(deepest, level)
		case ']', '}':
			level--
		}
	}
	return deepest
}

func loadEchoCases(t testing.TB) (target string, cases []echoCase) {
	t.Helper()
	data, err := os.ReadFile("testdata/reference/nesting_echo.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		FastAPI, Uvicorn string
		ServiceDepth     int `json:"service_depth"`
		Target           string
		Cases            []echoCase
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.ServiceDepth != pyjson.MaxDepth || ref.FastAPI == "" || ref.Uvicorn == "" || len(ref.Cases) == 0 {
		t.Fatalf("nesting_echo.json: depth %d, FastAPI %q, uvicorn %q, %d cases", ref.ServiceDepth, ref.FastAPI, ref.Uvicorn, len(ref.Cases))
	}
	// Every placement is recorded at each depth from the last 422 of the top level
	// (maxEchoDepth) to the first 400 (MaxDepth+1).
	depths := map[string]int{}
	for _, c := range ref.Cases {
		if c.Depth >= maxEchoDepth && c.Depth <= pyjson.MaxDepth+1 {
			depths[c.Shape]++
		}
	}
	for shape, n := range depths {
		if n != pyjson.MaxDepth+2-maxEchoDepth {
			t.Errorf("nesting_echo.json: %q has %d of the depths %d to %d", shape, n, maxEchoDepth, pyjson.MaxDepth+1)
		}
	}
	if len(depths) < 13 {
		t.Errorf("nesting_echo.json: %d placements", len(depths))
	}
	return ref.Target, ref.Cases
}

// rawPatch is a PATCH of body to target as the recorder sent it.
func rawPatch(target string, body []byte) []byte {
	return append([]byte("PATCH "+target+" HTTP/1.1\r\nHost: verbex-mock\r\nContent-Type: application/json\r\nContent-Length: "+
		itoa(len(body))+"\r\n\r\n"), body...)
}

// TestNestingEchoReference replays testdata/reference/nesting_echo.json (recorded from
// FastAPI, Starlette and uvicorn by nesting_echo.py) against the fake over TCP: at
// every depth around the limits and wherever the deep value sits, the same status,
// headers and body bytes (the 422 that echoes it, Starlette's plain 500 when the echo
// is too deep to encode, FastAPI's 400 past json.loads, the 404 of a valid body), the
// connection closed after the 500 and kept after the rest. Every answer is checked
// against the document: the 500 and the 400 must be off it, the rest on it.
func TestNestingEchoReference(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	addr := startTransport(t, s)
	target, cases := loadEchoCases(t)
	for _, c := range cases {
		t.Run(c.Shape+"/"+itoa(c.Depth), func(t *testing.T) {
			t.Parallel()
			body := c.body()
			if d := bracketDepth(body); d != c.Depth {
				t.Fatalf("the recipe nests %d deep, the case says %d", d, c.Depth)
			}
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write(rawPatch(target, body)); err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			br := bufio.NewReader(io.TeeReader(conn, &raw))
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := normalAnswer(t, raw.Bytes()), normalAnswer(t, []byte(c.Answer)); g != w {
				t.Fatalf("got\n%.600s\nwant\n%.600s", g, w)
			}
			if res.StatusCode == 500 && !strings.HasPrefix(c.Error, "RecursionError: ") {
				t.Errorf("the reference's 500 was %q, not a recursion error", c.Error)
			}
			problems := s.Document().CheckResponse(http.MethodPatch, target, res.StatusCode, res.Header, got)
			if off := res.StatusCode == 500 || res.StatusCode == 400; off != (len(problems) > 0) {
				t.Errorf("%d: document problems %v", res.StatusCode, problems)
			}
			switch c.End {
			case "eof":
				if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("after the answer: %v, want the connection closed", err)
				}
			case "open":
				next := roundTrip(t, conn, br, string(rawPatch(target, []byte("{}"))))
				if next.StatusCode != http.StatusNotFound {
					t.Errorf("the next request on the connection: %d, want the 404", next.StatusCode)
				}
			default:
				t.Fatalf("end %q", c.End)
			}
		})
	}
}

// TestDeepEchoConnection: the 500 of an echo too deep to encode is journaled as
// invalid with the connection closed, and --keep-after-error keeps the connection,
// which then serves the next request.
func TestDeepEchoConnection(t *testing.T) {
	t.Parallel()
	deep := []byte(strings.Repeat("[", maxEchoDepth+1) + strings.Repeat("]", maxEchoDepth+1))
	for _, keep := range []bool{false, true} {
		name := "closed"
		if keep {
			name = "kept"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, Options{KeepAliveAfterError: keep})
			addr := startTransport(t, s)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			br := bufio.NewReader(conn)
			path := "/v1/phone-numbers/" + sipID
			res := roundTrip(t, conn, br, string(rawPatch(path, deep)))
			if res.StatusCode != 500 || res.Header.Get("Connection") != "" || res.Header.Get("Content-Type") != contentPlain {
				t.Fatalf("got %d, Connection %q, Content-Type %q; want the plain 500 without Connection", res.StatusCode,
					res.Header.Get("Connection"), res.Header.Get("Content-Type"))
			}
			if keep {
				if next := roundTrip(t, conn, br, string(rawPatch(path, []byte("{}")))); next.StatusCode != 200 {
					t.Errorf("the next request on the kept connection: %d", next.StatusCode)
				}
			} else if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("after the plain 500: %v, want the connection closed", err)
			}
			got := s.Session("").Requests()
			if len(got) == 0 || got[0].Status != 500 || got[0].Validation != ValidationInvalid || got[0].ConnectionClosed == keep {
				t.Errorf("journal: %+v, want the 500 first, invalid, connection_closed %v", got, !keep)
			}
		})
	}
}
