package mock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// exchange is what one request brings: the request, its route's variables, its
// session, and its body, read once and decoded at most once. Handlers read it and
// return an answer; they never write the response themselves.
type exchange struct {
	r         *http.Request
	vars      map[string]string // the route's variables; the operation's route sets id instead
	id        string            // the operation's phone_number_id
	sess      *sessionState
	start     time.Time
	journaled bool // requests to the Verbex API (not admin) go to the journal

	buf     bytes.Buffer     // holds the body
	limited io.LimitedReader // bounds a body of declared length
	body    []byte
	held    int64 // bytes of the in-flight budget this body holds
	waited  bool  // the body waited for room before it was read

	decoded bool
	value   pyjson.Value
	err     error

	out    []byte         // the answer being rendered
	values []pyjson.Value // a copy of a record's values to render outside the lock
}

// newExchange takes an exchange from the server's pool; release gives it back.
func (s *Server) newExchange(r *http.Request) *exchange {
	x := s.exchanges.Get().(*exchange)
	x.r, x.start = r, time.Now()
	return x
}

// Buffers larger than this are not kept for the next request.
const maxPooledBuffer = 64 << 10

func (s *Server) release(x *exchange) {
	if x.held > 0 {
		s.inflight.Release(x.held)
	}
	if x.buf.Cap() > maxPooledBuffer || cap(x.out) > maxPooledBuffer {
		return
	}
	x.buf.Reset()
	*x = exchange{buf: x.buf, out: x.out[:0], values: x.values[:0]}
	s.exchanges.Put(x)
}

// smallBody is the size up to which a body does not count against the in-flight budget.
const smallBody = 16 << 10

// maxBodyWait bounds how long a request waits for room for its body: then it gets 503
// with Retry-After, not a read error.
const maxBodyWait = 10 * time.Second

// errTooLarge is a body over the limit; errBusy one that found no room in time.
var (
	errTooLarge = errors.New("mock: request body too large")
	errBusy     = errors.New("mock: no room for the request body in time")
)

// readBody reads the whole body, at most limit bytes. A body announced larger than the
// limit is refused before a byte is read, so a client that sent "Expect: 100-continue"
// gets its 413 without "100 Continue". Small bodies need no room, whatever their
// framing: a body of unknown length (chunked) is read up to smallBody first, and
// waits for room only if it is longer. Once read, a body holds exactly its size.
func (x *exchange) readBody(limit int64, inflight *semaphore.Weighted, wait time.Duration) error {
	if x.r.ContentLength > limit {
		return errTooLarge
	}
	// A declared length within the limit is all the server's body gives; the bound is
	// kept anyway, without allocating, for a handler called in-process.
	x.limited = io.LimitedReader{R: x.r.Body, N: max(limit, limit+1)} // one more, to see a longer body
	var body io.Reader = &x.limited
	if x.r.ContentLength < 0 {
		body = http.MaxBytesReader(nil, x.r.Body, limit)
	}
	var err error
	switch n := x.r.ContentLength; {
	case n >= 0 && n <= smallBody:
		_, err = x.buf.ReadFrom(body)
	case n > smallBody:
		if err = x.reserve(n, inflight, wait); err == nil {
			_, err = x.buf.ReadFrom(body)
		}
	default:
		if _, err = io.CopyN(&x.buf, body, smallBody+1); err == nil { // longer than small
			if err = x.reserve(limit, inflight, wait); err == nil {
				_, err = x.buf.ReadFrom(body)
			}
		}
	}
	x.body = x.buf.Bytes()
	if int64(len(x.body)) > limit {
		return errTooLarge
	}
	if keep := int64(len(x.body)); x.held > keep { // give back what was reserved but not sent
		if keep <= smallBody {
			keep = 0
		}
		inflight.Release(x.held - keep)
		x.held = keep
	}
	if err == nil {
		return nil
	}
	return bodyError(err, x.waited)
}

func bodyError(err error, waited bool) error {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case errors.Is(err, errBusy):
		return err
	case waited && errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: the read time ran out while it waited: %w", errBusy, err)
	case !errors.Is(err, io.EOF):
		return fmt.Errorf("mock: reading the request body: %w", err)
	}
	return nil
}

// reserve waits for n bytes of the in-flight budget, at most wait; a client that
// leaves stops the wait.
func (x *exchange) reserve(n int64, inflight *semaphore.Weighted, wait time.Duration) error {
	if inflight.TryAcquire(n) {
		x.held = n
		return nil
	}
	x.waited = true
	ctx, cancel := context.WithTimeout(x.r.Context(), wait)
	defer cancel()
	if err := inflight.Acquire(ctx, n); err != nil {
		if x.r.Context().Err() != nil {
			return fmt.Errorf("mock: the client left while its body waited for room: %w", err)
		}
		return errBusy
	}
	x.held = n
	return nil
}

// json decodes the body as Python's json.loads does, once.
func (x *exchange) json() (pyjson.Value, error) {
	if !x.decoded {
		x.decoded = true
		x.value, x.err = pyjson.Decode(x.body)
	}
	return x.value, x.err
}
