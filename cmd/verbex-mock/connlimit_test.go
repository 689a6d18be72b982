package main

import (
	"net"
	"net/http"
	"slices"
	"testing"
)

// At the cap, the connection closed to make room is an idle or slow one, never the
// older one whose request sleeps in a fault rule's delay.
func TestConnCapSparesRequestsWaitingOnARule(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitConns(ln, 2)
	t.Cleanup(func() { l.Close() })
	accept := func() net.Conn {
		t.Helper()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	waiting := accept() // the oldest: its request sleeps in a delay rule
	l.track(waiting, http.StateActive)
	l.setWaiting(waiting, true) // what the context from connContext reports (mock's TestOnFaultWait)
	slow := accept()            // a slow upload, newer
	l.track(slow, http.StateActive)
	accept() // at the cap: one must go
	l.mu.Lock()
	_, keptWaiting := l.conns[waiting]
	_, keptSlow := l.conns[slow]
	l.mu.Unlock()
	if !keptWaiting || keptSlow {
		t.Errorf("kept the waiting connection %v, the slow upload %v; want the slow upload closed first", keptWaiting, keptSlow)
	}
}

// TestConnCapClosingOrder: the connection closed at the cap is the oldest of the
// lowest rank (idle, then new, then active, then waiting on a rule), and choosing it
// allocates nothing however many connections are open: a flood of connections at the
// cap costs a scan per accept, not garbage per connection scanned.
func TestConnCapClosingOrder(t *testing.T) { // not parallel: AllocsPerRun
	type conn struct {
		state   http.ConnState
		waiting bool
	}
	for _, tt := range []struct {
		name  string
		conns []conn // oldest first
		want  int
	}{
		{"idle before new", []conn{{http.StateNew, false}, {http.StateIdle, false}}, 1},
		{"new before active", []conn{{http.StateActive, false}, {http.StateNew, false}}, 1},
		{"active before waiting", []conn{{http.StateActive, true}, {http.StateActive, false}}, 1},
		{"oldest among equals", []conn{{http.StateActive, false}, {http.StateIdle, false}, {http.StateIdle, false}}, 1},
		{"waiting last, even idle", []conn{{http.StateIdle, true}, {http.StateActive, false}}, 1},
	} {
		l := limitConns(nil, 100)
		keys := make([]net.Conn, len(tt.conns))
		for i, c := range tt.conns {
			keys[i] = new(net.TCPConn)
			l.moves++
			l.conns[keys[i]] = &connInfo{state: c.state, since: l.moves, waiting: c.waiting}
		}
		if got := l.oldest(); got != keys[tt.want] {
			t.Errorf("%s: closed connection %d, want %d", tt.name, slices.Index(keys, got), tt.want)
		}
	}
	l := limitConns(nil, 2000)
	for range 1000 {
		l.moves++
		l.conns[new(net.TCPConn)] = &connInfo{state: http.StateActive, since: l.moves}
	}
	if allocs := testing.AllocsPerRun(10, func() { l.oldest() }); allocs != 0 {
		t.Errorf("choosing among 1,000 connections allocates %v times", allocs)
	}
}
