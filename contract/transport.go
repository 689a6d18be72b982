package contract

import (
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
)

// useResilientTransport wraps the runner's client in judge.Resilient; the run's
// time budget bounds its waits.
func (r *runner) useResilientTransport() {
	var t *judge.ResilientTransport
	r.client, t = judge.Resilient(r.client, func() time.Time { return r.deadline }, true)
	r.closers = append(r.closers, t.CloseIdleConnections)
}

// transportNotes is what the report says of the transport (nil: nothing to say).
func (r *runner) transportNotes() *judge.TransportNotes {
	if t, ok := r.client.Transport.(*judge.ResilientTransport); ok {
		if n := t.Notes(); n.Any() {
			return n
		}
	}
	return nil
}
