package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
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
	codeNotFound        = "phone_number_not_found"
	codeInternal        = "internal_error"
	codeTooLarge        = "request_too_large"
	codeBadFault        = protocol.CodeInvalidFaultRequest
	codeBadAdmin        = protocol.CodeInvalidAdminRequest
	codeUnknownFault    = protocol.CodeFaultNotFound
	codeNoSession       = "session_not_found"
	codeEvicted         = "session_evicted"
	codeBadSession      = "invalid_session"
	codeForbiddenHost   = protocol.CodeHostNotAllowed
	codeForbiddenOrigin = "origin_not_allowed"
	codeBadMediaType    = "unsupported_media_type"
	codeTooManyRules    = "too_many_fault_rules"
	codeStateFull       = "state_full"
	codeBusy            = "server_busy"
)

// answer is what a handler decides to send: Server.send is the one place that writes
// it, checks it against the document, journals and logs it.
type answer struct {
	status      int
	contentType string
	body        []byte
	header      http.Header // more headers: Allow, Location, a fault rule's

	validation string // how the body was judged (Validation…); "" is not validated
	fault      string // the rule (or fault header) that answered
	deliberate bool   // off the document on purpose: the framework's own answers, off_document faults
	conn       string // a connection fault to carry out instead of answering
	gone       bool   // the client went away: nothing to send

	delaySkipped bool         // a fault's delay was cut short by shutdown
	unhandled    bool         // Starlette's plain 500 for an unhandled error: uvicorn closes the connection after it
	closed       bool         // the connection was closed after the answer
	offSchema    bool         // a stored value the response schema does not allow, answered as the service would
	record       recordLayout // body is a record of this layout (journaled by field, journalrecord.go)

	stream func(w io.Writer) error // writes a long body piece by piece, instead of body
	page   http.Handler            // a static page that writes itself (conditional GETs, HEAD)
	value  *pyjson.Value           // a JSON body too large to hold, encoded as it is written (stream.go)
	size   int64                   // value's encoded length
}

func jsonAnswer(status int, body []byte) answer {
	return answer{status: status, contentType: contentJSON, body: body}
}

// errorAnswer is the ErrorResponse shape {"error": code, "message": text}.
func errorAnswer(status int, code, message string) answer {
	return jsonAnswer(status, errorBody(code, message))
}

// detailAnswer is Starlette's {"detail": text}.
func detailAnswer(status int, detail string) answer {
	b, _ := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{{Key: "detail", Value: pyjson.StringValue(detail)}}))
	return jsonAnswer(status, b)
}

// serverErrorAnswer is Starlette's ServerErrorMiddleware: a plain-text 500, which is
// what the real service answers when its own answer cannot be encoded.
func serverErrorAnswer() answer {
	return answer{status: http.StatusInternalServerError, contentType: contentPlain, body: []byte(plainServerError), deliberate: true, unhandled: true}
}

const plainServerError = "Internal Server Error"

// isPlainServerError reports whether a fault rule's answer is Starlette's plain 500,
// which the real service sends only for an unhandled error (so uvicorn closes after it).
func (a *answer) isPlainServerError() bool {
	if a.status != http.StatusInternalServerError || string(a.body) != plainServerError {
		return false // every other answer, before any header is read
	}
	ct := a.contentType
	if v := get(a.header, hdrContentType); v != "" {
		ct = v
	}
	return strings.HasPrefix(ct, "text/plain")
}

// validationAnswer is FastAPI's 422, rendered into dst; a body that cannot be encoded
// is Starlette's 500.
func validationAnswer(dst []byte, details []spec.Detail) answer {
	var a answer
	if echoTooDeep(details) {
		a = serverErrorAnswer()
	} else if validationErrorMaxSize(details) > inlineAnswer {
		var ok bool
		if a, ok = streamedAnswer(http.StatusUnprocessableEntity, validationErrorValue(details)); !ok {
			a = serverErrorAnswer()
		}
	} else if b, err := spec.AppendValidationError(dst, details); err != nil {
		a = serverErrorAnswer()
	} else {
		a = jsonAnswer(http.StatusUnprocessableEntity, b)
	}
	a.validation = ValidationInvalid
	return a
}

// maxEchoDepth is how deep a value echoed in a 422's "input" may nest. json.dumps, like
// json.loads, spends a level of Python's recursion limit on each array and object, and
// the service encodes its 422 on a deeper stack than it decoded the body: a deeper echo
// is a RecursionError there, Starlette's plain 500 (testdata/reference/nesting_echo.json,
// recorded by nesting_echo.py: 963 levels encode, 964 do not).
const maxEchoDepth = pyjson.MaxDepth - 5

// echoTooDeep reports whether an error's input nests deeper than the service encodes.
func echoTooDeep(details []spec.Detail) bool {
	for i := range details {
		if details[i].Input.NestsDeeper(maxEchoDepth) {
			return true
		}
	}
	return false
}

// valueAnswer renders an admin route's value with encoding/json.
func valueAnswer(status int, v any) answer {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return errorAnswer(http.StatusInternalServerError, codeInternal, err.Error())
	}
	return jsonAnswer(status, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// stateFullAnswer refuses a write the state budget cannot take: the fake's own limit,
// which the real service does not have, so it is off the document on purpose.
func stateFullAnswer(err error) answer {
	a := errorAnswer(http.StatusInsufficientStorage, codeStateFull, err.Error())
	a.deliberate = true
	return a
}

func noContent() answer { return answer{status: http.StatusNoContent} }

func (a *answer) setHeader(k, v string) {
	if a.header == nil {
		a.header = http.Header{}
	}
	a.header.Set(k, v)
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

// send writes the answer (or carries out its connection fault), then self-checks,
// journals and logs the exchange.
func (s *Server) send(w http.ResponseWriter, x *exchange, a answer) {
	if a.validation == "" {
		a.validation = ValidationSkipped
	}
	status := a.status
	switch {
	case a.gone:
		status = 0
	case a.conn != "":
		conn, sent, err := s.breakConnection(w, a)
		status = sent
		switch {
		case conn == nil:
			s.log.Error("connection fault failed", "fault", a.fault, "error", err)
			a = errorAnswer(http.StatusInternalServerError, codeInternal, err.Error())
			status = a.status
			s.write(w, x, &a)
		default:
			if err != nil {
				s.log.Debug("connection fault cut short", "fault", a.fault, "error", err)
			}
			defer conn.Close() // after the journal: see breakConnection
		}
	default:
		if a.value != nil { // its buffer and the start kept for the journal
			if err := x.reserve(streamCost, s.inflight, s.bodyWait); err != nil {
				a, _ = holdErrorAnswer(err)
				status = a.status
				if a.gone {
					status = 0
					break
				}
			}
		}
		s.write(w, x, &a)
		if s.opts.SelfCheck && a.stream == nil && a.page == nil && a.value == nil {
			s.selfCheck(x, a, w.Header())
		}
		if (a.unhandled || a.isPlainServerError()) && !s.opts.KeepAliveAfterError {
			if conn := closeAfterAnswer(w); conn != nil {
				a.closed = true
				defer conn.Close() // after the journal, as for connection faults
			}
		}
	}
	end := x.written
	if end.IsZero() {
		end = time.Now()
	}
	elapsed := end.Sub(x.start)
	if x.journaled && x.sess != nil && s.journal.enabled() {
		x.spare = s.journal.add(x.sess, x.journalEntry(status, a, elapsed))
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("request", "method", x.r.Method, "path", x.r.URL.Path, "status", status,
			"duration", elapsed, "session", x.sessName(), "fault", a.fault)
	}
}

// closeAfterAnswer sends what was written and takes the connection from the
// http.Server, to be closed without a "Connection: close" header, as uvicorn closes
// it after an unhandled error. It is nil where the connection cannot be taken (HTTP/2,
// a recorder in tests): then the connection stays open.
func closeAfterAnswer(w http.ResponseWriter) io.Closer {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return nil
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

func (s *Server) write(w http.ResponseWriter, x *exchange, a *answer) {
	now := time.Now()
	if s.opts.WriteTimeout > 0 {
		// Not supported by every ResponseWriter (a recorder in tests): then unbounded.
		_ = http.NewResponseController(w).SetWriteDeadline(now.Add(s.opts.WriteTimeout))
	}
	h := w.Header()
	h["Date"] = dateHeader(now)
	for k, v := range a.header {
		h[k] = v
	}
	if a.contentType != "" && get(h, hdrContentType) == "" {
		h["Content-Type"] = headerValue(a.contentType)
	}
	if a.page != nil {
		a.page.ServeHTTP(w, x.r)
		return
	}
	if a.value != nil {
		h["Content-Length"] = contentLength(int(a.size))
		w.WriteHeader(a.status)
		var err error
		if a.body, err = writeValue(w, a.value, x.out[:0]); err != nil {
			s.log.Debug("answer cut off", "error", err)
		}
		x.out = a.body
		return
	}
	if a.stream != nil {
		w.WriteHeader(a.status)
		if err := a.stream(w); err != nil {
			s.log.Debug("answer cut off", "error", err)
		}
		return
	}
	h["Content-Length"] = contentLength(len(a.body))
	w.WriteHeader(a.status)
	if len(a.body) > 0 {
		_, _ = w.Write(a.body) // a client that went away is not an error of ours
	}
	if len(a.body) <= netHTTPBuffer {
		x.written = now // buffered, not sent yet: the clock need not be read again
	}
}

// netHTTPBuffer is what net/http buffers of an answer before it writes to the
// connection (bufferBeforeChunkingSize): a larger body's Write may wait for a slow
// client, and that wait is part of the request's duration.
const netHTTPBuffer = 2048

func (s *Server) selfCheck(x *exchange, a answer, h http.Header) {
	problems := s.doc.CheckResponse(x.r.Method, x.r.URL.Path, a.status, h, a.body)
	if len(problems) == 0 {
		return
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.String()
	}
	if a.deliberate {
		s.log.Debug("response is off the document on purpose", "method", x.r.Method, "path", x.r.URL.Path, "status", a.status, "fault", a.fault, "problems", msgs)
		return
	}
	s.log.Warn("response is off the document", "method", x.r.Method, "path", x.r.URL.Path, "status", a.status, "fault", a.fault, "problems", msgs)
	if hook := s.opts.SelfCheckFailed; hook != nil {
		hook(SelfCheckFailure{Method: x.r.Method, Path: x.r.URL.Path, Status: a.status, Session: x.sessName(), Problems: msgs})
	}
}

func (x *exchange) sessName() string {
	if x.sess == nil {
		return ""
	}
	return x.sess.name
}

func (x *exchange) journalEntry(status int, a answer, elapsed time.Duration) entry {
	answered := a.body
	if status == 0 {
		answered = nil // nothing reached the client
	}
	en := captureEntry(JournalEntry{
		Time: x.start, Method: x.r.Method, Path: x.r.URL.Path, Query: protocol.RedactQuery(x.r.URL.RawQuery),
		Validation: a.validation, Status: status, Fault: a.fault, DelaySkipped: a.delaySkipped,
		ConnectionClosed: a.closed, OffDocument: a.offSchema,
		DurationMS: float64(elapsed.Microseconds()) / 1000,
	}, x.body, answered, x.r.Header, a.record, x.spare) // redacted as captured
	if status != 0 && a.value != nil && a.size > int64(len(answered)) {
		en.ResponseBodyTruncated = true // a streamed answer keeps only its start
	}
	return en
}
