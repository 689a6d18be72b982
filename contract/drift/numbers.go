package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// number is what the oracle knows of one phone number id. Its lock makes the
// exchanges with one number go one at a time, so that the oracle sees them in the
// order the upstream answered them (exchanges with different numbers run in
// parallel).
type number struct {
	turn    chan struct{} // holds a token while an exchange has the number (queue.go)
	state   knowledge
	learned bool // a learning read was tried since the oracle last lost track
	used    uint64
	busy    int // exchanges holding or waiting for the turn; guarded by Proxy.mu
}

type knowledge int

// follow makes the oracle take the upstream's word after an exchange: a 200 record
// replaces the oracle's, a 404 ErrorResponse removes the number. When the oracle
// applied an update the upstream refused (a 4xx: nothing was stored), the oracle gets
// its record back; after any other answer it cannot know, so it learns the number
// again before the next exchange.
func (p *Proxy) follow(ctx context.Context, n *number, id string, wr judge.Request, before pyjson.Value, fake, up judge.Reply) {
	path, _, _ := strings.Cut(wr.Path, "?")
	op := spec.IsOperation(wr.Method, path)
	switch {
	case up.Status == http.StatusOK:
		// Any 200 that is the number's record is the upstream's word on it, also one
		// to a request the oracle answered otherwise (a trailing slash served, another
		// method): taking it keeps one routing drift from showing again as stored state.
		rec, problem := p.recordOf(up, id)
		switch {
		case problem == "":
			p.store(ctx, n, id, rec)
		case op:
			// A learning read would likely answer off the document as well; the drift
			// is reported on this exchange.
			p.lose(ctx, n, id, false)
		}
	case up.Status == http.StatusNotFound && op && isErrorResponseBody(up.Body):
		p.absent(ctx, n, id)
	case fake.Status == http.StatusOK && op && up.Status >= 400 && up.Status < 500 && before.Kind == pyjson.Object:
		p.store(ctx, n, id, before)
	case fake.Status == http.StatusOK && op:
		p.lose(ctx, n, id, true)
	}
}

// recordOf is the number's record in a 200, for the oracle to take: the answer as it
// is when it is on the document, or else its JSON object without the keys the
// provider does not declare, if that is a whole record of the number. A service
// that adds a field to its records (or sends them as another content type) is
// reported as drift on every exchange that shows it, and the oracle still follows
// it; problem says why even that was not possible.
func (p *Proxy) recordOf(a judge.Reply, id string) (rec pyjson.Value, problem string) {
	rec, problem = p.judge.CheckRecord(a, id)
	if problem == "" {
		return rec, ""
	}
	v, err := pyjson.Decode(a.Body)
	if err != nil || v.Kind != pyjson.Object {
		return rec, problem
	}
	prov, _ := v.Get(spec.ProviderField)
	pr := p.judge.Doc.Provider(prov.Str)
	if pr == nil {
		return rec, problem
	}
	kept := pyjson.ObjectValue(nil)
	for _, m := range v.Obj {
		if pr.Index(m.Key) >= 0 {
			kept.Obj = append(kept.Obj, m)
		}
	}
	if got, _ := kept.Get(spec.IDField); got.Str != id {
		return rec, problem
	}
	if _, err := pr.Record(kept); err != nil {
		return rec, problem
	}
	return kept, ""
}

// operationID is the phone number id of a path to the oracleled operation (any
// method, with or without a trailing slash), as the oracle's key and as sent.
func operationID(escaped string) (id, seg string, ok bool) {
	rest, ok := strings.CutPrefix(escaped, operationPrefix)
	if !ok {
		return "", "", false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.Contains(rest, "/") {
		return "", "", false
	}
	id, err := url.PathUnescape(rest)
	if err != nil || strings.Contains(id, "/") {
		return "", "", false
	}
	return id, rest, true
}

func (p *Proxy) release(ctx context.Context, n *number) {
	<-n.turn
	p.mu.Lock()
	n.busy--
	// Numbers all busy at once may have taken the map past its bound; back to it.
	p.evictLocked(ctx, 0)
	p.mu.Unlock()
}

// evictLocked forgets the least recently used idle numbers until room more fit in
// MaxNumbers (or none is idle). The oracle must not answer for a forgotten number
// from an old record, so it is freed there, under p.mu, so that nobody meets the
// number again before.
func (p *Proxy) evictLocked(ctx context.Context, room int) {
	for len(p.numbers) > p.cfg.MaxNumbers-room {
		var oldest *number
		var evicted string
		for k, m := range p.numbers {
			if m.busy == 0 && (oldest == nil || m.used < oldest.used) {
				oldest, evicted = m, k
			}
		}
		if oldest == nil {
			return
		}
		delete(p.numbers, evicted)
		_ = p.free(ctx, evicted)
	}
}

// prepare learns the number before its first exchange (and after the oracle lost
// track of it), unless learning is off.
func (p *Proxy) prepare(ctx context.Context, n *number, id, seg, auth string) {
	if n.state != unknown || n.learned {
		return
	}
	n.learned = true
	_ = p.free(ctx, id) // the oracle answers "not found" for what it has not learnt
	if p.cfg.NoLearn {
		return
	}
	start := time.Now()
	e := &ProxyEntry{Kind: "learn", Time: start, Method: http.MethodPatch, Path: operationPrefix + seg, Body: "{}"}
	a, err := p.learn(ctx, seg, auth)
	p.drift.learnt()
	switch {
	case err != nil:
		e.Verdict, e.Reason = VerdictUpstreamFailed, err.Error()
		p.log.Warn("learning read failed", "path", e.Path, "error", e.Reason)
	case a.Status == http.StatusOK:
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		rec, problem := p.recordOf(a, id)
		if problem != "" {
			// The oracle cannot take it, and the fake would never answer so: drift, under
			// rendering as the contract runner reports a read off the document. (What
			// recordOf could take shows as drift on the application's exchanges.)
			e.Verdict, e.Rule, e.Reason = VerdictDrift, judge.RuleRendering, "the answer to a learning read is off the document: "+problem
			e.Mismatches = []judge.Mismatch{{Path: "learning read", Expected: "a record of the document", Got: problem}}
			e.curl = p.curl(judge.JSONRequest(http.MethodPatch, e.Path, []byte("{}")), e)
			break
		}
		p.store(ctx, n, id, rec)
		e.Verdict, e.Reason = VerdictEqual, "learnt"
	case a.Status == http.StatusNotFound:
		// Not found, in whatever shape: the shape is compared on the application's
		// own requests.
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		n.state = absent
		e.Verdict, e.Reason = VerdictEqual, "no number has the id"
	default:
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the learning read answered %d: the oracle does not know the number", a.Status)
		p.log.Warn("learning read refused", "path", e.Path, "status", a.Status)
	}
	p.finish(e, start)
}

// learn reads a number with PATCH {}, which changes nothing (README: "PATCH {}
// changes nothing and answers the current record").
func (p *Proxy) learn(ctx context.Context, seg, auth string) (judge.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := judge.JSONRequest(http.MethodPatch, operationPrefix+seg, []byte("{}")).HTTP(ctx, p.base)
	if err != nil {
		return judge.Reply{}, fmt.Errorf("learning read: %w", err)
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	switch {
	case p.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	case auth != "":
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return judge.Reply{}, errors.New(p.transportError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxAnswerBytes))
	if err != nil {
		return judge.Reply{}, errors.New(p.transportError(err))
	}
	return judge.Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (p *Proxy) store(ctx context.Context, n *number, id string, rec pyjson.Value) {
	if err := p.oracle.Store(ctx, "", rec); err != nil {
		p.log.Warn("the oracle refused a record", "id", id, "error", err)
		p.lose(ctx, n, id, false)
		return
	}
	n.state = known
	p.drift.record(id, rec)
}

func (p *Proxy) absent(ctx context.Context, n *number, id string) {
	_ = p.free(ctx, id)
	n.state = absent
}

// lose forgets what the oracle knows of a number; with relearn the next exchange
// learns it again (a learning read), otherwise the oracle waits for a 200.
func (p *Proxy) lose(ctx context.Context, n *number, id string, relearn bool) {
	_ = p.free(ctx, id)
	n.state, n.learned = unknown, !relearn
}

// free makes the oracle answer that no number has the id.
func (p *Proxy) free(ctx context.Context, id string) error { return p.oracle.Forget(ctx, "", id) }
