package mock

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// budget is the byte allowance for what sessions add to the seed: their changed and
// created records and their fault rules. Half of it is reserved, a floor for every
// session that may exist (--max-sessions named ones and the default), so that a
// session always has room for its first writes however much the others hold; the
// other half is a pool for what sessions hold beyond their floor, of which one
// session may take at most half. Together they never exceed limit.
type budget struct {
	limit int64
	floor int64 // what each session may always hold
	share int64 // the most one session may hold
	pool  int64 // what all sessions may hold beyond their floors
	used  atomic.Int64
}

func newBudget(limit int64, maxSessions int) budget {
	floor := limit / 2 / int64(maxSessions+1)
	pool := limit - floor*int64(maxSessions+1)
	return budget{limit: limit, floor: floor, pool: pool, share: max(floor, floor+pool/2)}
}

// errStateFull is a write the state budget cannot take; a *stateFullError says whose.
var errStateFull = errors.New("mock: the state budget is spent")

// stateFullError is a write refused because its session is over its share, or
// because the pool all sessions share is spent.
type stateFullError struct {
	session     string
	held, share int64
	pool        int64 // the pool, when that is what is spent; 0 when the session's share is
}

func (e *stateFullError) Error() string {
	if e.pool > 0 {
		return fmt.Sprintf("Session %s holds %d bytes; the %d bytes that sessions share beyond what each is guaranteed are spent by others (GET /__admin/sessions shows who holds what; reset them, or raise --state-bytes).",
			quoteName(e.session), e.held, e.pool)
	}
	return fmt.Sprintf("Session %s holds %d bytes of changed numbers and fault rules, its share of --state-bytes is %d; reset it (POST /__admin/reset) or delete rules first.",
		quoteName(e.session), e.held, e.share)
}

func (e *stateFullError) Unwrap() error { return errStateFull }

// take reserves n bytes of the pool (n may be negative, to give some back); false
// when they do not fit.
func (b *budget) take(n int64) bool {
	if n <= 0 {
		b.used.Add(n)
		return true
	}
	if b.used.Add(n) > b.pool {
		b.used.Add(-n)
		return false
	}
	return true
}

// charge moves a session holding held bytes to held+n: n > 0 is refused past the
// session's share or when the pool cannot take what exceeds its floor.
func (b *budget) charge(name string, held, n int64) error {
	next := held + n
	if n > 0 && next > b.share {
		return &stateFullError{session: name, held: held, share: b.share}
	}
	if !b.take(max(0, next-b.floor) - max(0, held-b.floor)) {
		return &stateFullError{session: name, held: held, share: b.share, pool: b.pool}
	}
	return nil
}

// valueSize is what a stored value costs, roughly.
func valueSize(v pyjson.Value) int64 {
	n := int64(48 + len(v.Str))
	for _, e := range v.Arr {
		n += valueSize(e)
	}
	for _, m := range v.Obj {
		n += int64(len(m.Key)) + valueSize(m.Value)
	}
	return n
}

func recordSize(r *record) int64 {
	n := int64(64)
	for _, v := range r.values {
		n += valueSize(v)
	}
	return n
}

// parking is the allowance for what requests hold (their large bodies, decoded trees)
// while they sleep in a fault rule's delay: such a request gives its share of the
// in-flight budget back and holds this instead, so that a session parking uploads in
// its own delay rule never holds up another session's bodies. One session may park at
// most a quarter of it; a request that finds no room gets 503 server_busy at once,
// naming its session.
type parking struct {
	limit, share int64

	mu        sync.Mutex
	used      int64
	bySession map[*sessionState]int64
}

func newParking(limit int64) *parking {
	return &parking{limit: limit, share: limit / 4, bySession: map[*sessionState]int64{}}
}

// parkFullError is a request that found no room to sleep holding its body.
type parkFullError struct {
	session           string
	held, share, pool int64
}

func (e *parkFullError) Error() string {
	return fmt.Sprintf("Requests of session %s sleeping in fault rule delays hold %d bytes of bodies; a session may park %d and all sessions %d (--inflight-bytes): send large bodies to a delay rule fewer at a time.",
		quoteName(e.session), e.held, e.share, e.pool)
}

func (p *parking) take(ss *sessionState, n int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	held := p.bySession[ss]
	if held+n > p.share || p.used+n > p.limit {
		return &parkFullError{session: ss.name, held: held, share: p.share, pool: p.limit}
	}
	p.bySession[ss] = held + n
	p.used += n
	return nil
}

func (p *parking) give(ss *sessionState, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used -= n
	if p.bySession[ss] -= n; p.bySession[ss] <= 0 {
		delete(p.bySession, ss)
	}
}
