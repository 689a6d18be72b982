package drift

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// The proxy holds every request body until its exchange is over, and exchanges with
// one number go one at a time. Against an upstream that never answers, 300 clients
// sending 1 MiB each to one number held 495 MB, drained one per timeout, and clients
// that hung up stayed queued. So the bodies held are bounded in bytes
// (MaxQueueBytes) and the exchanges waiting for their number's turn in count
// (MaxQueue); past either a client gets 503 proxy_busy with Retry-After, nothing
// forwarded, and a client that leaves while it waits its turn leaves the queue.

// Defaults of the queue bounds.
const (
	DefaultMaxQueueBytes = 16 << 20
	DefaultMaxQueue      = 64
)

// errQueueFull is an exchange the proxy has no room to hold; errClientLeft one whose
// client left while it waited its turn.
var (
	errQueueFull  = errors.New("the proxy holds as many request bodies or waiting exchanges as it may")
	errClientLeft = errors.New("the client left while its exchange waited its turn")
)

// hold takes n bytes of the bodies the proxy may hold; false when they do not fit.
func (p *Proxy) hold(n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held+n > p.cfg.MaxQueueBytes {
		return false
	}
	p.held += n
	return true
}

func (p *Proxy) unhold(n int64) {
	p.mu.Lock()
	p.held -= n
	p.mu.Unlock()
}

// busy answers an exchange the proxy will not hold: the proxy's own 503, not the
// upstream's, journaled as not forwarded.
func (p *Proxy) busy(w http.ResponseWriter, e *ProxyEntry, err error) {
	e.Verdict, e.Reason = VerdictNotForwarded, err.Error()
	if errors.Is(err, errClientLeft) {
		return // nobody to answer
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `{"error":"proxy_busy","message":"The proxy holds %d bytes of request bodies at most (--max-queue-bytes) and %d exchanges waiting for their number (--max-queue); try again shortly."}`,
		p.cfg.MaxQueueBytes, p.cfg.MaxQueue)
}

// waitTurn waits for the number's turn, at most until the client leaves (left) or the
// queue is full.
func (p *Proxy) waitTurn(ctx context.Context, left <-chan struct{}, id string) (*number, error) {
	p.mu.Lock()
	p.clock++
	n := p.numbers[id]
	if n == nil {
		p.evictLocked(ctx, 1)
		n = &number{turn: make(chan struct{}, 1)}
		p.numbers[id] = n
	}
	queued := n.busy > 0
	if queued && p.waiting >= p.cfg.MaxQueue {
		p.mu.Unlock()
		return nil, errQueueFull
	}
	n.busy++
	n.used = p.clock
	if queued {
		p.waiting++
	}
	p.mu.Unlock()
	select {
	case n.turn <- struct{}{}:
	case <-left:
		p.mu.Lock()
		n.busy--
		p.waiting--
		p.mu.Unlock()
		return nil, errClientLeft
	}
	if queued {
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
	}
	return n, nil
}

func (p *Proxy) heldNow() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}
