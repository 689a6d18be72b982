package mock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	vars      map[string]string
	sess      *sessionState
	start     time.Time
	journaled bool // requests to the Verbex API (not admin) go to the journal

	buf  bytes.Buffer // holds the body
	body []byte
	held int64 // bytes of the in-flight budget this body holds

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

// errTooLarge is a body over the limit.
var errTooLarge = errors.New("mock: request body too large")

// readBody reads the whole body, at most limit bytes. A body announced larger than the
// limit is refused before a byte is read, so a client that sent "Expect: 100-continue"
// gets its 413 without "100 Continue".
func (x *exchange) readBody(limit int64, inflight *semaphore.Weighted) error {
	if x.r.ContentLength > limit {
		return errTooLarge
	}
	// Small bodies need no room: they are part of what a connection may cost, so a
	// crowd of large uploads never holds up an ordinary PATCH.
	if x.r.ContentLength < 0 || x.r.ContentLength > smallBody {
		need := limit
		if x.r.ContentLength > 0 {
			need = x.r.ContentLength
		}
		if err := inflight.Acquire(x.r.Context(), need); err != nil {
			return fmt.Errorf("mock: waiting for room for the body: %w", err)
		}
		x.held = need
	}
	_, err := x.buf.ReadFrom(http.MaxBytesReader(nil, x.r.Body, limit))
	x.body = x.buf.Bytes()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("mock: reading the request body: %w", err)
	}
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
