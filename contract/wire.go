package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// wireRequest is one request exactly as sent, to the target and to the oracle alike.
type wireRequest struct {
	Method string
	// Path is the path with its query, as sent (not cleaned, not re-encoded).
	Path string
	// ContentType nil sends no Content-Type header.
	ContentType *string
	Body        []byte
}

// answer is one response as received.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func strPtr(s string) *string { return &s }

// emptyPatch reads a number without changing it.
func emptyPatch(id string) wireRequest {
	return wireRequest{Method: http.MethodPatch, Path: "/v1/phone-numbers/" + url.PathEscape(id), ContentType: strPtr("application/json"), Body: []byte("{}")}
}

// send sends w to the target, in the session when the target has a states route.
func (r *runner) send(ctx context.Context, session string, w wireRequest) (answer, error) {
	req, err := r.newRequest(ctx, session, w)
	if err != nil {
		return answer{}, err
	}
	resp, err := r.do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %s", w.Method, w.Path, redactText(err.Error(), r.cfg.Token))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", w.Method, w.Path, err)
	}
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (r *runner) newRequest(ctx context.Context, session string, w wireRequest) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, w.Method, r.cfg.Target+w.Path, bytes.NewReader(w.Body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", w.Method, w.Path, err)
	}
	if len(w.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if w.ContentType != nil {
		req.Header.Set("Content-Type", *w.ContentType)
	}
	r.authorize(req)
	if r.cfg.States != "" && session != "" {
		req.Header.Set(protocol.SessionHeader, session)
	}
	return req, nil
}

// limiter spaces requests evenly: at most rate a second (0: no limit).
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return &limiter{}
	}
	return &limiter{every: time.Duration(float64(time.Second) / rate)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l.every == 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// oracle answers requests in-process with the handler given as Config.Oracle: no
// sockets, so a generated case costs the target's round trips only.
type oracle struct {
	h    http.Handler
	host string // the target's host, so that a Location header names the same one
}

func (o *oracle) send(ctx context.Context, session string, w wireRequest) (a answer, err error) {
	req, err := http.NewRequestWithContext(ctx, w.Method, "http://"+o.host+w.Path, bytes.NewReader(w.Body))
	if err != nil {
		return answer{}, fmt.Errorf("oracle: %s %s: %w", w.Method, w.Path, err)
	}
	req.Host = o.host
	req.RequestURI = w.Path
	if w.ContentType != nil {
		req.Header.Set("Content-Type", *w.ContentType)
	}
	if session != "" {
		req.Header.Set(protocol.SessionHeader, session)
	}
	rec := newRecorder()
	defer func() {
		// An oracle that panics is a broken oracle, not a broken target.
		if p := recover(); p != nil {
			err = fmt.Errorf("oracle: %s %s panicked: %v", w.Method, w.Path, p)
		}
	}()
	o.h.ServeHTTP(rec, req)
	return answer{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// store puts a record into the oracle's session as it is.
func (o *oracle) store(ctx context.Context, session string, rec pyjson.Value) error {
	body, err := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{
		{Key: "state", Value: pyjson.StringValue(protocol.StatePhoneNumberStored)},
		{Key: "params", Value: rec},
	}))
	if err != nil {
		return fmt.Errorf("oracle: the record cannot be sent: %w", err)
	}
	a, err := o.send(ctx, session, wireRequest{Method: http.MethodPost, Path: protocol.StatesPath, ContentType: strPtr("application/json"), Body: body})
	if err != nil {
		return err
	}
	if a.Status != http.StatusOK {
		return fmt.Errorf("oracle: storing the target's record answered %d: %s", a.Status, truncate(a.Body))
	}
	return nil
}

// recorder is a minimal ResponseWriter; the fake needs nothing more in-process.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
