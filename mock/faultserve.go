package mock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// serveFault applies the per-request fault header or the session's rule that fires.
// answered is false when no fault answers: none fired, or one only added latency (then
// the answer carries only the rule's name).
func (s *Server) serveFault(x *exchange, id string) (a answer, answered bool) {
	f, err := s.requestFault(x.r.Header)
	if err != nil {
		a = errorAnswer(http.StatusBadRequest, codeBadFault, err.Error())
		a.deliberate = true
		return a, true
	}
	name := ""
	if f != nil {
		name = f.Name
	} else {
		body, _ := x.json() // decoded before the lock: rules may match its fields
		var skipped int
		f, skipped = x.sess.pickFault(&faultRequest{method: x.r.Method, id: id, header: x.r.Header, body: body, bodySize: len(x.body)})
		if skipped > 0 {
			s.warnMatchWork(x, id, skipped)
		}
		if f == nil {
			return answer{}, false
		}
		name = f.ID
	}
	skipped := false
	if f.Delay > 0 {
		if err := x.park(); err != nil {
			a = errorAnswer(http.StatusServiceUnavailable, codeBusy, err.Error())
			a.deliberate, a.fault = true, name
			a.setHeader("Retry-After", "1")
			return a, true
		}
		if report, ok := x.r.Context().Value(faultWaitKey{}).(func(bool)); ok {
			report(true)
			defer report(false)
		}
		switch s.wait(x.r.Context(), f.Delay) {
		case waitGone:
			return answer{gone: true, fault: name}, true
		case waitCut:
			skipped = true
		}
	}
	if f.Status == 0 && f.Connection == "" {
		return answer{fault: name, delaySkipped: skipped}, false
	}
	a = answer{status: f.Status, body: f.body, fault: name, deliberate: f.OffDocument, conn: f.Connection, delaySkipped: skipped}
	if f.Body == nil && f.RawBody == "" && f.Status != 0 {
		a.body = s.defaultFaultBody(x, &f.FaultRule, id)
	}
	for k, v := range f.Headers {
		a.setHeader(k, v)
	}
	if a.body != nil && a.header.Get("Content-Type") == "" {
		a.contentType = contentJSON
	}
	return a, true
}

// warnMatchWork logs, at most once a second, that rules were left untried because
// matching them against a request would cost more than maxMatchWork.
func (s *Server) warnMatchWork(x *exchange, id string, skipped int) {
	now := time.Now().UnixNano()
	last := s.matchWarned.Load()
	if now-last < int64(time.Second) || !s.matchWarned.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("fault rules not tried: matching them against this request would cost too much (long globs or body matchers against a long id, header or body)",
		"session", quoteName(x.sessName()), "rules", skipped, "id_bytes", len(id), "body_bytes", len(x.body))
}

type faultWaitKey struct{}

// OnFaultWait returns a context under which a request reports when it starts and
// stops sleeping in a fault rule's delay. An http.Server's ConnContext uses it so that
// a connection limiter closes idle and slow connections before one whose request
// waits on a rule a test set up.
func OnFaultWait(ctx context.Context, report func(waiting bool)) context.Context {
	return context.WithValue(ctx, faultWaitKey{}, report)
}

// hasDefaultBody reports whether a status gets a realistic body when a rule gives none.
func hasDefaultBody(status int) bool {
	switch status {
	case http.StatusNotFound, http.StatusInternalServerError, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// defaultFaultBody is a realistic, on-document body for the documented error
// statuses: ErrorResponse for 404 and 500, a pydantic-shaped 422.
func (s *Server) defaultFaultBody(x *exchange, rule *FaultRule, id string) []byte {
	switch rule.Status {
	case http.StatusNotFound:
		return notFoundBody(id)
	case http.StatusInternalServerError:
		return errorBody(codeInternal, "An unexpected error occurred while updating the phone number. Please try again later.")
	case http.StatusUnprocessableEntity:
		var body pyjson.Value
		if isJSONContentType(x.r.Header.Get("Content-Type")) {
			body, _ = x.json()
		}
		return s.defaultValidationBody(body, rule)
	}
	return nil
}

// defaultValidationBody is the 422 a validator of the service gives when it refuses a
// value the request sent: a value_error naming the field, with what was sent as its
// input. A value_error never contradicts the value (a type error would call the
// string "x" not a string), and the field is one the request sent, so a test reading
// the 422 sees its own request in it: the first of the rule's match.body fields the
// request sent, else the first field it sent that the document declares. A request
// that sent no declared field gets a model-level error at ["body"] (or FastAPI's
// "Field required" when it sent no JSON body at all).
func (s *Server) defaultValidationBody(body pyjson.Value, rule *FaultRule) []byte {
	u := &s.doc.Union
	declared := func(name string) bool {
		return slices.ContainsFunc(u.Branches, func(b *spec.Branch) bool { return b.Has(name) })
	}
	field := ""
	if body.Kind == pyjson.Object {
		for _, k := range sortedKeys(rule.Match.Body) {
			if _, sent := body.Get(k); sent && declared(k) {
				field = k
				break
			}
		}
		for i := 0; field == "" && i < len(body.Obj); i++ {
			if declared(body.Obj[i].Key) {
				field = body.Obj[i].Key
			}
		}
	}
	refused := []pyjson.Member{{Key: "error", Value: pyjson.ObjectValue([]pyjson.Member{})}} // the exception encodes as {}
	var details []spec.Detail
	switch {
	case body.Kind == pyjson.Null:
		details = spec.MissingBody()
	case field == "":
		details = []spec.Detail{{Type: "value_error", Loc: []pyjson.Value{pyjson.StringValue("body")},
			Msg: "Value error, the request was refused", Input: body, Ctx: refused}}
	default:
		input, _ := body.Get(field)
		for _, b := range u.Branches {
			if !b.Has(field) {
				continue
			}
			loc := []pyjson.Value{pyjson.StringValue("body")}
			if u.Titled {
				loc = append(loc, pyjson.StringValue(b.Title))
			}
			loc = append(loc, pyjson.StringValue(field))
			details = append(details, spec.Detail{Type: "value_error", Loc: loc,
				Msg: "Value error, " + field + " was refused", Input: input, Ctx: refused})
		}
	}
	out, err := spec.AppendValidationError(nil, details)
	if err != nil { // the echoed input cannot be sent (NaN, a lone surrogate): echo null
		for i := range details {
			details[i].Input = pyjson.NullValue()
		}
		out, _ = spec.AppendValidationError(nil, details)
	}
	return out
}

// breakConnection carries out a connection fault on the raw connection and returns
// the status it got to send (0 for a reset) and the connection, still open: the
// caller journals the exchange before closing it, so that a client which sees the
// break can already find the entry.
func (s *Server) breakConnection(w http.ResponseWriter, a answer) (io.Closer, int, error) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, 0, fmt.Errorf("mock: connection fault needs a hijackable connection: %w", err)
	}
	if a.conn == ConnReset {
		raw := conn
		if w, ok := raw.(interface{ NetConn() net.Conn }); ok {
			raw = w.NetConn() // under the request-line check
		}
		if tcp, ok := raw.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST, not FIN
		}
		return conn, 0, nil
	}
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
	h := a.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if a.contentType != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", a.contentType)
	}
	h.Set("Content-Length", fmt.Sprint(len(a.body)))
	h["Date"] = dateHeader(time.Now())
	if err := h.Write(bw); err != nil {
		return conn, a.status, fmt.Errorf("mock: writing fault headers: %w", err)
	}
	bw.WriteString("\r\n")
	if a.conn == ConnTruncate {
		bw.Write(a.body[:len(a.body)/2])
	}
	if err := bw.Flush(); err != nil {
		return conn, a.status, fmt.Errorf("mock: writing fault response: %w", err)
	}
	return conn, a.status, nil
}

// How a fault's wait ended.
const (
	waitDone = iota // the whole delay passed
	waitGone        // the client went away
	waitCut         // the server is draining: answer now
)

// wait sleeps d, unless the client goes away or the server starts draining.
func (s *Server) wait(ctx context.Context, d time.Duration) int {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return waitDone
	case <-ctx.Done():
		return waitGone
	case <-s.stopping:
		return waitCut
	}
}
