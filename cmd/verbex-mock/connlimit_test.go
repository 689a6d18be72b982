package main

import (
	"net"
	"net/http"
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
