package mock

import (
	"errors"
	"sync/atomic"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// budget is a byte allowance shared by every session: what the store's own records
// and the fault rules of all sessions may hold together, so that no client can grow
// the fake's memory past it, however many sessions it uses.
type budget struct {
	limit int64
	used  atomic.Int64
}

// errStateFull is a write the state budget cannot take.
var errStateFull = errors.New("mock: the state budget is spent")

// take reserves n bytes (n may be negative, to give some back); false when they do
// not fit.
func (b *budget) take(n int64) bool {
	if n <= 0 {
		b.used.Add(n)
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
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
