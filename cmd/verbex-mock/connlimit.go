package main

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/verbex/verbex-mock/mock"
)

// connLimiter caps the open connections, so that a crowd of idle keep-alives or
// slow clients cannot use up the process's file descriptors and lock out the health
// check. At the cap a new connection makes room: the oldest idle keep-alive is closed
// first (a client reopens it when it needs it), then the oldest that has not sent a
// request yet, then the oldest in flight (a slow upload, say), and only last one whose
// request sleeps in a fault rule's delay (see waiting). Only a client holding more
// than the cap can lose a request that way.
type connLimiter struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]*connInfo
	moves uint64 // counts state changes: the order they came in, without a clock
}

type connInfo struct {
	state   http.ConnState
	since   uint64 // when it entered state, in connLimiter.moves
	waiting bool   // its request sleeps in a fault rule's delay
}

func limitConns(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, max: max, conns: map[net.Conn]*connInfo{}}
}

// Accept admits a connection, closing another when at the cap.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	var victim net.Conn
	if len(l.conns) >= l.max {
		victim = l.oldest()
		delete(l.conns, victim)
	}
	l.moves++
	l.conns[c] = &connInfo{state: http.StateNew, since: l.moves}
	l.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	return c, nil
}

// oldest picks the connection to close: idle first, then new, then active, then
// waiting on a fault rule.
func (l *connLimiter) oldest() net.Conn {
	var best net.Conn
	var bestRank int
	var bestInfo *connInfo
	for c, info := range l.conns {
		r := info.rank()
		if best == nil || r < bestRank || r == bestRank && info.since < bestInfo.since {
			best, bestRank, bestInfo = c, r, info
		}
	}
	return best
}

// rank orders connections for closing: idle 0, new 1, active 2, waiting on a fault
// rule 3.
func (info *connInfo) rank() int {
	switch {
	case info.waiting:
		return 3
	case info.state == http.StateIdle:
		return 0
	case info.state == http.StateNew:
		return 1
	}
	return 2
}

// connContext is the http.Server's ConnContext hook: requests on c report when they
// sleep in a fault rule's delay.
func (l *connLimiter) connContext(ctx context.Context, c net.Conn) context.Context {
	return mock.OnFaultWait(mock.ConnContext(ctx, c), func(waiting bool) { l.setWaiting(c, waiting) })
}

func (l *connLimiter) setWaiting(c net.Conn, waiting bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if info, ok := l.conns[c]; ok {
		info.waiting = waiting
	}
}

// track is the http.Server's ConnState hook.
func (l *connLimiter) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	default:
		if info, ok := l.conns[c]; ok {
			l.moves++
			info.state, info.since = state, l.moves
		}
	}
}

// open reports how many connections are open.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
