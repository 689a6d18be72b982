package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
)

// send sends w to the target, in the session when the target has a states route.
func (r *runner) send(ctx context.Context, session string, w judge.Request) (judge.Reply, error) {
	req, err := r.newRequest(ctx, session, w)
	if err != nil {
		return judge.Reply{}, err
	}
	resp, err := r.do(req)
	if err != nil {
		return judge.Reply{}, &sendError{w, session, fmt.Errorf("%s %s: %s", w.Method, w.Path, judge.RedactText(err.Error(), r.cfg.Token))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength > int64(len(b)):
		// The body ended before its Content-Length: an answer the client sees, which
		// the comparison reports (judge.Compare), not a lost request.
	case err != nil:
		return judge.Reply{}, &sendError{w, session, fmt.Errorf("%s %s: reading the answer: %w", w.Method, w.Path, err)}
	}
	if w.Method == http.MethodHead {
		// A HEAD answer's Content-Length is the length of the body it does not send.
		resp.Header.Del("Content-Length")
	}
	return judge.Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// newRequest builds w to the target, with the token, in the session when the target
// has a states route.
func (r *runner) newRequest(ctx context.Context, session string, w judge.Request) (*http.Request, error) {
	req, err := w.HTTP(ctx, r.cfg.Target)
	if err != nil {
		return nil, err
	}
	r.authorize(req)
	// Asked explicitly, so that Go's client does not ask for gzip and decode it
	// unseen: an answer compressed anyway is a difference a client sees.
	req.Header.Set("Accept-Encoding", "identity")
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
