package judge

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Oracle is the fake, in-process, that the target is judged against: it answers the
// same requests from the same record, with no sockets, so that a comparison costs
// the target's round trips only. Its handler speaks the fake's protocol (sessions by
// protocol.SessionHeader, provider states at protocol.StatesPath), such as mock.New
// with the same document and no fixtures.
type Oracle struct {
	h    http.Handler
	host string // the target's host, so that a Location header names the same one
}

// NewOracle wraps a handler speaking the fake's protocol; host is the target's.
func NewOracle(h http.Handler, host string) *Oracle { return &Oracle{h: h, host: host} }

// Send answers w in the oracle's session (none: "").
func (o *Oracle) Send(ctx context.Context, session string, w Request) (a Reply, err error) {
	req, err := w.HTTP(ctx, "http://"+o.host)
	if err != nil {
		return Reply{}, fmt.Errorf("oracle: %w", err)
	}
	req.Host = o.host
	req.RequestURI = w.Path
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
	return Reply{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// Store teaches the oracle a record, as it is, in a session.
func (o *Oracle) Store(ctx context.Context, session string, rec pyjson.Value) error {
	return o.state(ctx, session, protocol.StatePhoneNumberStored, rec, "storing the target's record")
}

// Forget makes the oracle answer that no number has the id.
func (o *Oracle) Forget(ctx context.Context, session, id string) error {
	params := pyjson.ObjectValue([]pyjson.Member{{Key: "phone_number_id", Value: pyjson.StringValue(id)}})
	return o.state(ctx, session, protocol.StateNoPhoneNumber, params, fmt.Sprintf("freeing %q", id))
}

// state puts the oracle's session into a provider state.
func (o *Oracle) state(ctx context.Context, session, state string, params pyjson.Value, what string) error {
	body, err := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{
		{Key: "state", Value: pyjson.StringValue(state)},
		{Key: "params", Value: params},
	}))
	if err != nil {
		return fmt.Errorf("oracle: %s: the state cannot be sent: %w", what, err)
	}
	a, err := o.Send(ctx, session, JSONRequest(http.MethodPost, protocol.StatesPath, body))
	if err != nil {
		return err
	}
	if a.Status != http.StatusOK {
		return fmt.Errorf("oracle: %s answered %d: %s", what, a.Status, Truncate(a.Body))
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
