package mock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The real service's server is uvicorn with h11, which reads the request line before
// any framework code runs, and refuses or reads some lines otherwise than Go's
// net/http, which answers those before any handler. So the checks sit in front of
// net/http, on the connection (the rules and the recorded cases are in
// docs/fidelity.md, "Transport", and testdata/reference/transport.json):
//
//   - a request line that does not match h11's grammar (method a token, one space, a
//     target of bytes 0x21-0x7E, one space, HTTP/d.d) gets uvicorn's plain-text 400
//     "Invalid HTTP request received." and the connection is closed;
//   - so does a request line longer than h11's 16 KiB buffer (h11 refuses a head it
//     has buffered more than 16,384 bytes of without its end);
//   - a "%" in the path not followed by two hex digits is kept as it is by uvicorn's
//     unquote, where Go refuses it: it is sent on to net/http as "%25", which Go
//     decodes back to the same "%";
//   - a target that does not start with "/" (absolute-form "http://host/path", or
//     any other text h11 accepts) is the path Starlette routes, whole, and no route
//     matches it: it is sent on with a "/" before it, which no route matches either,
//     so the answer is the same 404 (the journal shows the path with that "/").
//
// The line is read where net/http would read it: the first bytes read after the
// previous answer was written (or on a new connection). An ordinary request costs a
// search for the line's end in bytes net/http reads anyway, and no copy.

// maxRequestLine is h11's DEFAULT_MAX_INCOMPLETE_EVENT_SIZE: more bytes than this
// buffered without the end of the head is a 400.
const maxRequestLine = 16 << 10

// uvicornBadRequest is uvicorn's answer to what h11 refuses, byte for byte
// (send_400_response: no date or server header; h11 adds "Connection: close").
const uvicornBadRequest = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nInvalid HTTP request received."

// Listener wraps ln so that each request line is checked as uvicorn/h11 checks it
// before net/http reads it. verbex-mock serve installs it; install it wherever a
// mock.Server is served on a real listener.
func Listener(ln net.Listener) net.Listener { return &lineListener{ln} }

type lineListener struct{ net.Listener }

func (l *lineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := &lineConn{Conn: c}
	lc.atStart.Store(true)
	return lc, nil
}

// lineConn is one connection. net/http reads it from one goroutine at a time (its
// background read is over before the next read starts), so only atStart, which
// Write sets, and the read deadline, which net/http sets while its background read
// waits, are shared.
type lineConn struct {
	net.Conn
	atStart atomic.Bool // the next bytes read begin a request line
	line    []byte      // a request line being gathered across reads
	out     []byte      // checked bytes not yet handed to net/http
	// Write deadlines: the fake sets one before every answer (its WriteTimeout) and
	// net/http clears it after; each move is a timer update in the runtime's poller,
	// a tenth of a small request's cost. writeBy is the deadline on the socket;
	// clearWrite a clear not yet made, made before any write. Only the goroutine
	// serving the connection sets them (an HTTP/1.1 handler runs on it).
	writeBy    time.Time
	clearWrite bool
	// Read deadlines: net/http moves the read deadline up to seven times a request
	// (for the header, the body, its background read and the idle wait), most of them
	// while no read waits. One asked for then (readNext) is made when the next read
	// starts, if it differs from the one on the socket (readBy); while a read waits
	// it is made at once.
	rmu         sync.Mutex
	reading     bool
	readBy      time.Time
	readNext    time.Time
	readPending bool
}

// SetReadDeadline makes t the deadline of reads from now on: at once if a read
// waits (net/http ends its background read so), else when the next read starts.
func (c *lineConn) SetReadDeadline(t time.Time) error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.reading {
		c.readBy, c.readPending = t, false
		return c.Conn.SetReadDeadline(t)
	}
	c.readNext, c.readPending = t, true
	return nil
}

// startRead makes the read deadline asked for since the last read.
func (c *lineConn) startRead() error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.readPending {
		c.readPending = false
		if !c.readNext.Equal(c.readBy) {
			c.readBy = c.readNext
			if err := c.Conn.SetReadDeadline(c.readBy); err != nil {
				return err
			}
		}
	}
	c.reading = true
	return nil
}

func (c *lineConn) endRead() {
	c.rmu.Lock()
	c.reading = false
	c.rmu.Unlock()
}

// SetWriteDeadline moves the write deadline, unless the one on the socket ends
// earlier by less than a sixteenth of the time asked for: an answer then has at least
// 15/16 of its time. A clear waits for the next write, which a new deadline usually
// comes before.
func (c *lineConn) SetWriteDeadline(t time.Time) error {
	switch {
	case t.IsZero():
		c.clearWrite = !c.writeBy.IsZero()
		return nil
	case !c.writeBy.IsZero() && !t.Before(c.writeBy) && t.Sub(c.writeBy) < time.Until(t)/16:
		c.clearWrite = false
		return nil
	}
	c.writeBy, c.clearWrite = t, false
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines at once.
func (c *lineConn) SetDeadline(t time.Time) error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.readBy, c.readPending = t, false
	c.writeBy, c.clearWrite = t, false
	return c.Conn.SetDeadline(t)
}

// NetConn returns the connection underneath, for connection faults that need it.
func (c *lineConn) NetConn() net.Conn { return c.Conn }

// Write arms the check for the next request: a client that does not pipeline sends
// it only after this answer. An interim "100 Continue" is followed by the body, not
// a request.
func (c *lineConn) Write(p []byte) (int, error) {
	if c.clearWrite {
		c.writeBy, c.clearWrite = time.Time{}, false
		if err := c.Conn.SetWriteDeadline(time.Time{}); err != nil {
			return 0, err
		}
	}
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 1")) {
		c.atStart.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *lineConn) Read(p []byte) (int, error) {
	if err := c.startRead(); err != nil {
		return 0, err
	}
	defer c.endRead()
	return c.readChecked(p)
}

func (c *lineConn) readChecked(p []byte) (int, error) {
	if len(c.out) > 0 {
		n := copy(p, c.out)
		c.out = c.out[n:]
		return n, nil
	}
	if c.line == nil {
		n, err := c.Conn.Read(p)
		// atStart is read after the bytes arrived: the answer that armed it was
		// written before the client sent them.
		if n == 0 || !c.atStart.Load() {
			return n, err
		}
		c.atStart.Store(false)
		if i := bytes.IndexByte(p[:n], '\n'); i >= 0 && i < maxRequestLine+1 {
			switch checkRequestLine(p[:i+1]) {
			case lineOK:
				return n, err
			case lineBad:
				return 0, c.refuse()
			}
		}
		c.line = append(make([]byte, 0, max(2*n, 512)), p[:n]...)
		if err != nil {
			return 0, err
		}
	}
	return c.gather(p)
}

// gather reads until the request line is whole, then checks it and hands it out. A
// read cut short (net/http aborting its background read) keeps what came so far.
func (c *lineConn) gather(p []byte) (int, error) {
	for {
		i := bytes.IndexByte(c.line, '\n')
		if i > maxRequestLine || i < 0 && len(c.line) > maxRequestLine {
			return 0, c.refuse()
		}
		if i >= 0 {
			switch checkRequestLine(c.line[:i+1]) {
			case lineBad:
				return 0, c.refuse()
			case lineRewrite:
				c.out = append(rewriteLine(c.line[:i+1]), c.line[i+1:]...)
			default:
				c.out = c.line
			}
			c.line = nil
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, nil
		}
		if len(c.line) == cap(c.line) {
			c.line = append(c.line, make([]byte, len(c.line))...)[:len(c.line)]
		}
		n, err := c.Conn.Read(c.line[len(c.line):cap(c.line)])
		c.line = c.line[:len(c.line)+n]
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, err
			}
			// The client went away mid-line: hand on what came, as it came.
			c.out, c.line = c.line, nil
			n := copy(p, c.out)
			c.out = c.out[n:]
			return n, err
		}
	}
}

// refuse sends uvicorn's 400 and closes: first the write side, so the client reads
// the answer and an end (not a reset), then, after what it still sends has been
// read for a moment, the whole connection.
func (c *lineConn) refuse() error {
	c.line, c.out = nil, nil
	_ = c.Conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.WriteString(c.Conn, uvicornBadRequest)
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, 64<<10))
	}
	_ = c.Conn.Close()
	return io.EOF
}

const (
	lineOK      = iota
	lineBad     // h11 refuses it
	lineRewrite // fine for h11, but Go would refuse or route it otherwise: see rewriteLine
)

// tokenByte are the bytes of an HTTP token (RFC 9110), h11's method.
var tokenByte = func() (t [256]bool) {
	for _, c := range "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" {
		t[c] = true
	}
	return t
}()

// checkRequestLine matches line (with its "\n", and a "\r" before it or not) against
// h11's request_line: token SP 1*(%x21-7E) SP "HTTP/" DIGIT "." DIGIT.
func checkRequestLine(line []byte) int {
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	i := 0
	for i < len(line) && tokenByte[line[i]] {
		i++
	}
	if i == 0 || i >= len(line) || line[i] != ' ' {
		return lineBad
	}
	rest := line[i+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return lineBad
	}
	target, version := rest[:sp], rest[sp+1:]
	if len(version) != 8 || string(version[:5]) != "HTTP/" || !isDigit(version[5]) || version[6] != '.' || !isDigit(version[7]) {
		return lineBad
	}
	verdict := lineOK
	if target[0] != '/' && string(target) != "*" {
		verdict = lineRewrite
	}
	path := true
	for j, b := range target {
		switch {
		case b < 0x21 || b > 0x7e:
			return lineBad
		case b == '?':
			path = false
		case b == '%' && path && !(j+2 < len(target) && isHex(target[j+1]) && isHex(target[j+2])):
			verdict = lineRewrite
		}
	}
	return verdict
}

// rewriteLine puts a "/" before a target that has none and writes each "%" of the
// path that does not start an escape as "%25".
func rewriteLine(line []byte) []byte {
	out := make([]byte, 0, len(line)+16)
	path := true
	sp := bytes.IndexByte(line, ' ')
	for j, b := range line {
		switch {
		case j == sp+1 && b != '/' && !bytes.HasPrefix(line[j:], []byte("* ")):
			out = append(out, '/')
		case b == '?':
			path = false
		case b == ' ' && !path:
			path = true // past the target: nothing more to escape
		case b == '%' && path && !(j+2 < len(line) && isHex(line[j+1]) && isHex(line[j+2])):
			out = append(out, "%25"...)
			continue
		}
		out = append(out, b)
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }
