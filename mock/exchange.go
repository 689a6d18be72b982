package mock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

const (
	contentJSON  = "application/json"
	contentPlain = "text/plain; charset=utf-8"
)

// ErrorResponse codes: the fake's own (FIDELITY leaves them to it), stable from now on.
const (
	codeNotFound     = "phone_number_not_found"
	codeInternal     = "internal_error"
	codeTooLarge     = "request_too_large"
	codeBadFault     = protocol.CodeInvalidFaultRequest
	codeBadAdmin     = protocol.CodeInvalidAdminRequest
	codeUnknownFault = protocol.CodeFaultNotFound
)

// exchange is one request and its answer. It is the only thing that writes responses,
// and it journals, logs and self-checks each one.
type exchange struct {
	w     http.ResponseWriter
	r     *http.Request
	s     *Server
	sess  *session
	start time.Time
	buf   *bytes.Buffer // the request body, from the server's pool
	body  []byte
	out   *[]byte // the response body being rendered, from the server's pool

	status     int
	written    bool
	journaled  bool // requests to the Verbex API (not admin) go to the journal
	validation string
	fault      string
	// deliberate marks an answer that is off the document on purpose: as the real
	// service's framework answers, the fake's own 413, or an off_document fault.
	deliberate bool
}

func (s *Server) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	return &exchange{w: w, r: r, s: s, start: time.Now(), validation: ValidationSkipped}
}

// The exchange is the router's ResponseWriter so that handlers get it back; nothing
// but send writes through it.
func (x *exchange) Header() http.Header         { return x.w.Header() }
func (x *exchange) Write(b []byte) (int, error) { return x.w.Write(b) }
func (x *exchange) WriteHeader(code int)        { x.w.WriteHeader(code) }

// send writes the one response of this exchange.
func (x *exchange) send(status int, contentType string, body []byte) {
	if x.written {
		return
	}
	x.written, x.status = true, status
	h := x.w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = x.w.Write(body) // a client that went away is not an error of ours
	}
	if x.s.opts.SelfCheck {
		x.selfCheck(h, body)
	}
}

func (x *exchange) selfCheck(h http.Header, body []byte) {
	problems := x.s.doc.CheckResponse(x.r.Method, x.r.URL.Path, x.status, h, body)
	if len(problems) == 0 {
		return
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.String()
	}
	if x.deliberate {
		x.s.log.Debug("response is off the document on purpose", "method", x.r.Method, "path", x.r.URL.Path, "status", x.status, "fault", x.fault, "problems", msgs)
		return
	}
	x.s.log.Warn("response is off the document", "method", x.r.Method, "path", x.r.URL.Path, "status", x.status, "fault", x.fault, "problems", msgs)
	if hook := x.s.opts.SelfCheckFailed; hook != nil {
		sess := ""
		if x.sess != nil {
			sess = x.sess.name
		}
		hook(SelfCheckFailure{Method: x.r.Method, Path: x.r.URL.Path, Status: x.status, Session: sess, Problems: msgs})
	}
}

// sendError writes the ErrorResponse shape {"error": code, "message": text}.
func (x *exchange) sendError(status int, code, message string) {
	x.send(status, contentJSON, errorBody(code, message))
}

// sendDetail writes Starlette's {"detail": text}.
func (x *exchange) sendDetail(status int, detail string) {
	b, _ := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{{Key: "detail", Value: pyjson.StringValue(detail)}}))
	x.send(status, contentJSON, b)
}

// sendValidation writes FastAPI's 422; a body that cannot be encoded is Starlette's 500.
func (x *exchange) sendValidation(details []spec.Detail) {
	b, err := spec.AppendValidationError(x.outBuf(), details)
	x.keepOut(b)
	if err != nil {
		x.sendServerError()
		return
	}
	x.send(http.StatusUnprocessableEntity, contentJSON, b)
}

// outBuf lends a buffer to render the answer into; finish takes it back once sent.
func (x *exchange) outBuf() []byte {
	if x.out == nil {
		x.out = x.s.outs.Get().(*[]byte)
	}
	return (*x.out)[:0]
}

// keepOut remembers the (possibly grown) rendering buffer for the pool.
func (x *exchange) keepOut(b []byte) { *x.out = b }

// sendServerError is Starlette's ServerErrorMiddleware: a plain-text 500, which is what
// the real service answers when its own answer cannot be encoded.
func (x *exchange) sendServerError() {
	x.deliberate = true
	x.send(http.StatusInternalServerError, contentPlain, []byte("Internal Server Error"))
}

func (x *exchange) sendJSON(status int, v any) {
	var b bytes.Buffer
	enc := newJSONEncoder(&b)
	if err := enc.Encode(v); err != nil {
		x.sendError(http.StatusInternalServerError, codeInternal, err.Error())
		return
	}
	x.send(status, contentJSON, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func errorBody(code, message string) []byte {
	b, _ := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{
		{Key: "error", Value: pyjson.StringValue(code)},
		{Key: "message", Value: pyjson.StringValue(message)},
	}))
	return b
}

func notFoundBody(id string) []byte {
	msg := fmt.Sprintf("Phone number with id '%s' was not found.", id)
	if _, err := pyjson.AppendString(nil, msg); err != nil {
		msg = "Phone number was not found."
	}
	return errorBody(codeNotFound, msg)
}

// readBody reads the request body, at most MaxBytesBytes; a larger one is answered 413
// and false returned.
func (x *exchange) readBody() bool {
	x.buf = x.s.bufs.Get().(*bytes.Buffer)
	x.buf.Reset()
	_, err := x.buf.ReadFrom(http.MaxBytesReader(x.w, x.r.Body, x.s.opts.MaxBodyBytes))
	x.body = x.buf.Bytes()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		x.deliberate = true
		x.sendError(http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("The request body is larger than %d bytes.", x.s.opts.MaxBodyBytes))
		return false
	case err != nil:
		x.deliberate = true
		x.send(http.StatusBadRequest, contentJSON, []byte(`{"detail":"There was an error parsing the body"}`))
		return false
	}
	return true
}

// hijack takes the connection over for a connection fault.
func (x *exchange) hijack() (net.Conn, error) {
	conn, _, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("mock: connection fault needs a hijackable connection: %w", err)
	}
	x.written = true
	return conn, nil
}

// finish recovers a panic into a 500, then journals and logs the exchange.
func (x *exchange) finish() {
	p := recover()
	if p != nil && p != http.ErrAbortHandler {
		x.s.log.Error("panic serving request", "method", x.r.Method, "path", x.r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if !x.written {
			x.sendError(http.StatusInternalServerError, codeInternal, "An unexpected error occurred in verbex-mock; see its log.")
		}
	}
	elapsed := time.Since(x.start)
	if x.journaled && x.sess != nil {
		x.journal(elapsed)
	}
	if x.s.log.Enabled(context.Background(), slog.LevelDebug) {
		sess := ""
		if x.sess != nil {
			sess = x.sess.name
		}
		x.s.log.Debug("request", "method", x.r.Method, "path", x.r.URL.Path, "status", x.status,
			"duration", elapsed, "session", sess, "fault", x.fault)
	}
	if x.buf != nil && x.buf.Cap() <= 64<<10 {
		x.s.bufs.Put(x.buf)
	}
	if x.out != nil && cap(*x.out) <= 64<<10 {
		x.s.outs.Put(x.out)
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
}

func (x *exchange) journal(elapsed time.Duration) {
	if x.s.opts.JournalSize == 0 {
		return
	}
	body := x.body
	truncated := len(body) > maxJournalBody
	if truncated {
		body = body[:maxJournalBody]
	}
	e := JournalEntry{
		Time: x.start, Method: x.r.Method, Path: x.r.URL.Path, Query: x.r.URL.RawQuery,
		Header: protocol.RedactHeader(x.r.Header), Body: string(body), BodyTruncated: truncated,
		Validation: x.validation, Status: x.status, Fault: x.fault,
		DurationMS: float64(elapsed.Microseconds()) / 1000,
	}
	x.sess.mu.Lock()
	x.sess.journal.add(e)
	x.sess.mu.Unlock()
}
