package mock

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// servePhoneNumber answers every method on /v1/phone-numbers/{phone_number_id}: faults
// first (they may match any method), then 405 for anything but PATCH, then the update.
func (s *Server) servePhoneNumber(x *exchange) {
	x.journaled = true
	x.sess = s.session(x.r.Header.Get(SessionHeader))
	id := mux.Vars(x.r)["phone_number_id"]
	if !x.readBody() {
		return
	}
	if s.serveFault(x, id) {
		return
	}
	if x.r.Method != http.MethodPatch {
		x.Header().Set("Allow", http.MethodPatch)
		x.sendDetail(http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	s.update(x, id)
}

// update is FastAPI's order of work: decode the body by content type, validate it
// against the union, and only then look the number up and apply the picked fields.
func (s *Server) update(x *exchange, id string) {
	body, details := x.decode()
	if x.written {
		return
	}
	var res spec.Result
	if details == nil {
		res = s.doc.Union.Validate(body)
		details = res.Details
	}
	if details != nil {
		x.validation = ValidationInvalid
		x.sendValidation(details)
		return
	}
	x.validation = ValidationValid
	out, found, err := x.sess.update(id, res.Fields, x.outBuf())
	x.keepOut(out)
	switch {
	case !found:
		x.send(http.StatusNotFound, contentJSON, notFoundBody(id))
	case err != nil:
		x.sendServerError()
	default:
		x.send(http.StatusOK, contentJSON, out)
	}
}

// decode turns the body into what FastAPI validates: JSON for application/json and
// application/*+json, the raw text for any other content type (or none), and the
// "missing" error for an empty body or null. Answers it must give itself (400, a
// plain 500) are sent here.
func (x *exchange) decode() (pyjson.Value, []spec.Detail) {
	if len(x.body) == 0 {
		return pyjson.Value{}, spec.MissingBody()
	}
	if !isJSONContentType(x.r.Header.Get("Content-Type")) {
		if !utf8.Valid(x.body) { // jsonable_encoder cannot decode the bytes it echoes
			x.validation = ValidationInvalid
			x.sendServerError()
			return pyjson.Value{}, nil
		}
		return pyjson.StringValue(string(x.body)), nil
	}
	v, err := pyjson.Decode(x.body)
	if err != nil {
		if se, ok := err.(*pyjson.SyntaxError); ok {
			return pyjson.Value{}, spec.InvalidJSON(se)
		}
		x.validation = ValidationUnparseable
		x.deliberate = true
		x.sendDetail(http.StatusBadRequest, "There was an error parsing the body")
		return pyjson.Value{}, nil
	}
	if v.Kind == pyjson.Null {
		return v, spec.MissingBody()
	}
	return v, nil
}

// isJSONContentType is FastAPI's test through email.message.Message: maintype
// "application" and subtype "json" or "*+json", parameters ignored, and a value that
// is not exactly one type/subtype counts as text/plain.
func isJSONContentType(v string) bool {
	if v == "" {
		return false
	}
	ctype, _, _ := strings.Cut(v, ";")
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	if strings.Count(ctype, "/") != 1 {
		return false
	}
	main, sub, _ := strings.Cut(ctype, "/")
	return main == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// serveFault applies the per-request fault header or the session's first matching
// rule. It reports whether the request was answered (or its connection broken).
func (s *Server) serveFault(x *exchange, id string) bool {
	f, err := s.requestFault(x.r.Header)
	if err != nil {
		x.deliberate = true
		x.sendError(http.StatusBadRequest, codeBadFault, err.Error())
		return true
	}
	if f == nil {
		fr := faultRequest{method: x.r.Method, id: id, header: x.r.Header, raw: x.body}
		if f = x.sess.pickFault(&fr); f == nil {
			return false
		}
		x.fault = f.ID
	} else {
		x.fault = f.Name
	}
	x.deliberate = f.OffDocument
	if f.Delay > 0 && !sleep(x.r.Context(), time.Duration(f.Delay)) {
		x.written = true // the client is gone: nobody to answer
		return true
	}
	if f.Status == 0 && f.Connection == "" {
		return false // latency only
	}
	body := f.body
	if f.Body == nil && f.RawBody == "" && f.Status != 0 {
		var decoded pyjson.Value
		if isJSONContentType(x.r.Header.Get("Content-Type")) {
			decoded, _ = pyjson.Decode(x.body)
		}
		body = s.defaultFaultBody(f.Status, id, decoded)
	}
	for k, v := range f.Headers {
		x.Header().Set(k, v)
	}
	ct := x.Header().Get("Content-Type")
	if ct == "" && body != nil {
		ct = contentJSON
	}
	if f.Connection == "" {
		x.send(f.Status, ct, body)
		return true
	}
	if err := x.breakConnection(f, ct, body); err != nil {
		s.log.Error("connection fault failed", "fault", x.fault, "error", err)
	}
	return true
}

// breakConnection carries out a connection fault on the raw connection.
func (x *exchange) breakConnection(f *fault, contentType string, body []byte) error {
	conn, err := x.hijack()
	if err != nil {
		x.written = false
		x.sendError(http.StatusInternalServerError, codeInternal, err.Error())
		return err
	}
	defer conn.Close()
	if f.Connection == ConnReset {
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST, not FIN
		}
		return nil
	}
	x.status = f.Status
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", f.Status, http.StatusText(f.Status))
	h := x.w.Header().Clone()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if err := h.Write(w); err != nil {
		return fmt.Errorf("mock: writing fault headers: %w", err)
	}
	w.WriteString("\r\n")
	if f.Connection == ConnTruncate {
		w.Write(body[:len(body)/2])
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("mock: writing fault response: %w", err)
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether the whole wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
