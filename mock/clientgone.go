package mock

import (
	"context"
	"net"
	"time"
)

// A request that waits before its body is read (for room in the in-flight budget)
// does not see its client leave: net/http watches the connection only once the body
// has been read. Without a look at the connection, 20,000 abandoned uploads stayed
// waiting, 631 MB, after their connections were gone. ConnContext gives the request
// its connection, and a waiting request looks at it every clientPoll.

type connKey struct{}

// clientPoll is how often a waiting request looks whether its client left.
const clientPoll = 100 * time.Millisecond

// ConnContext is an http.Server's ConnContext hook: a request waiting for room for
// its body then ends as soon as its client has left or its connection was closed
// (by the connection cap, say). verbex-mock serve and mocktest install it; install it
// wherever a mock.Server is served on a real listener.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// whileClientStays returns a context that ends with ctx, or as soon as the request's
// client has left (a FIN or reset seen on its connection) or the connection is closed.
func whileClientStays(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	c, ok := ctx.Value(connKey{}).(net.Conn)
	if !ok {
		return ctx, cancel
	}
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	go func() {
		t := time.NewTicker(clientPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if clientLeft(c) {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
