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
	"github.com/verbex/verbex-mock/mock/spec"
)

// exchange is what one request brings: the request, its route's variables, its
// session, and its body, read once and decoded at most once. Handlers read it and
// return an answer; they never write the response themselves.
type exchange struct {
	s         *Server
	r         *http.Request
	vars      map[string]string // the route's variables; the operation's route sets id instead
	id        string            // the operation's phone_number_id
	sess      *sessionState
	start     time.Time
	written   time.Time // when a whole body was handed to net/http (Server.write)
	journaled bool      // requests to the Verbex API (not admin) go to the journal

	buf     bytes.Buffer     // holds the body
	limited io.LimitedReader // bounds a body of declared length
	body    []byte
	held    int64 // bytes of the in-flight budget this body, its tree and answer hold
	parked  int64 // bytes moved from held to the parking while a fault delay lasts
	waited  bool  // the body waited for room before it was read

	decoded bool
	value   pyjson.Value
	err     error

	out     []byte         // the answer being rendered
	ends    []int32        // where a record answer's values end in out
	values  []pyjson.Value // a copy of a record's values to render outside the lock
	scratch spec.Scratch   // room for the body's validation errors
	spare   []byte         // a dropped journal entry's buffer, for the next capture
}

// newExchange takes an exchange from the server's pool; release gives it back.
func (s *Server) newExchange(r *http.Request) *exchange {
	x := s.exchanges.Get().(*exchange)
	x.s, x.r, x.start = s, r, time.Now()
	return x
}

// Buffers larger than this are not kept for the next request.
const maxPooledBuffer = 64 << 10

func (s *Server) release(x *exchange) {
	if x.held > 0 {
		s.inflight.Release(x.held)
	}
	if x.parked > 0 {
		s.parking.give(x.sess, x.parked)
	}
	if x.buf.Cap() > maxPooledBuffer || cap(x.out) > maxPooledBuffer {
		return
	}
	if cap(x.spare) > smallBody {
		x.spare = nil // within what a connection may cost uncounted (a small body's worth)
	}
	x.buf.Reset()
	x.scratch.Reset()
	clear(x.values) // a pooled exchange keeps no record's text
	*x = exchange{buf: x.buf, out: x.out[:0], ends: x.ends[:0], values: x.values[:0], scratch: x.scratch, spare: x.spare}
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
	errLeft     = errors.New("mock: the client left while its request waited")
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
		x.buf.Grow(int(n) + bytes.MinRead) // one buffer of the body's size, not doublings
		_, err = x.buf.ReadFrom(body)
	case n > smallBody:
		if err = x.reserve(n, inflight, wait); err == nil {
			x.buf.Grow(int(n) + bytes.MinRead)
			_, err = x.buf.ReadFrom(body)
		}
	default:
		if _, err = io.CopyN(&x.buf, body, smallBody+1); err == nil { // longer than small
			if err = x.reserve(limit, inflight, wait); err == nil {
				_, err = x.buf.ReadFrom(body)
			}
		}
		if x.buf.Cap() > maxPooledBuffer && x.buf.Cap() > x.buf.Len()*5/4 {
			// Doublings left up to twice the body allocated: keep only its size.
			x.buf = *bytes.NewBuffer(bytes.Clone(x.buf.Bytes()))
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
		x.held += n
		return nil
	}
	x.waited = true
	stay, leave := whileClientStays(x.r.Context())
	defer leave()
	ctx, cancel := context.WithTimeout(stay, wait)
	defer cancel()
	if err := inflight.Acquire(ctx, n); err != nil {
		if stay.Err() != nil {
			return fmt.Errorf("%w for room: %w", errLeft, err)
		}
		return errBusy
	}
	x.held += n
	return nil
}

// json decodes the body as Python's json.loads does, once. What the tree will cost is
// taken from the in-flight budget first (see holdTree).
func (x *exchange) json() (pyjson.Value, error) {
	if !x.decoded {
		x.decoded = true
		if x.err = x.holdTree(); x.err == nil {
			x.value, x.err = pyjson.Decode(x.body)
		}
	}
	return x.value, x.err
}

// valueCost is what decoding allocates for one JSON value at most: a pyjson.Value (72
// bytes) or a Member, its share of the slices' doublings and of the decoded text,
// some 100 bytes live and the rest garbage (TestTreeCostIsCounted measures it).
const valueCost = 400

// treeTooLarge is a JSON body whose tree would cost more than a quarter of the
// in-flight budget: the fake's own limit, answered 413.
type treeTooLarge struct{ values, most int64 }

func (e *treeTooLarge) Error() string {
	return fmt.Sprintf("The request body holds about %d JSON values; the fake decodes at most %d (a quarter of --inflight-bytes, at %d bytes a value).", e.values, e.most, valueCost)
}

// holdTree takes from the in-flight budget what decoding the body will build: a 1 MiB
// array of zeros is some 500,000 values, 80 MB of tree. A tree that would cost more
// than a quarter of the budget is refused; one that costs less than a small body is
// part of what a connection may cost.
func (x *exchange) holdTree() error {
	values := int64(valueCount(x.body))
	cost := values * valueCost
	if cost <= smallBody {
		return nil
	}
	if most := x.s.opts.InflightBytes / 4 / valueCost; values > most {
		return &treeTooLarge{values: values, most: most}
	}
	return x.reserve(cost, x.s.inflight, x.s.bodyWait)
}

// valueCount bounds from above, without building anything, how many values decoding b
// builds. UTF-8 text is counted as jsonValues counts it; text in another encoding
// (a NUL in its first bytes, as json.detect_encoding reads it) by its punctuation
// wherever it is, for its escapes are not single bytes.
func valueCount(b []byte) int {
	if bytes.IndexByte(b[:min(len(b), 4)], 0) < 0 {
		return jsonValues(b)
	}
	n := 1
	for _, c := range b {
		if c == ',' || c == '[' || c == '{' {
			n++
		}
	}
	return n
}

// park moves what the request holds from the in-flight budget to the parking, for a
// fault rule's delay; it keeps it there until the request ends.
func (x *exchange) park() error {
	if x.held == 0 {
		return nil
	}
	if err := x.s.parking.take(x.sess, x.held); err != nil {
		return err
	}
	x.s.inflight.Release(x.held)
	x.parked, x.held = x.held, 0
	return nil
}
