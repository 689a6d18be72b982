package contract

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// hygiene keeps the named numbers of a target without a states route clean between
// generated cases: before a case, the number must hold the record the oracle ended
// the previous case with (at first, the snapshot taken before the run). A case
// that left it otherwise has already failed for it; the number is put back before
// the next case, so that one cause is one failure, not one per later case. A
// number that cannot be put back fails once and its later cases are skipped.
type hygiene struct {
	mu     sync.Mutex
	expect map[string]pyjson.Value // id → the record it must hold before its next case
	lost   map[string]string       // provider → the case that found its number lost
}

func (h *hygiene) lostAt(provider string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost[provider]
}

// expected is the record id must hold now: what the last case left on the oracle's
// side, else the snapshot taken before the run.
func (r *runner) expected(id string) (pyjson.Value, bool) {
	r.hygiene.mu.Lock()
	want, ok := r.hygiene.expect[id]
	r.hygiene.mu.Unlock()
	if ok {
		return want, true
	}
	if ids, isIDs := r.states.(*idStates); isIDs {
		want, ok = ids.snapshots[id]
	}
	return want, ok
}

// clean checks the target's read a of the case's number against the record it must
// hold, and restores that record first when it differs or cannot be read; it
// returns the read the case starts from. run.lost says why a number could not be
// put back.
func (r *runner) clean(ctx context.Context, run *caseRun, a judge.Reply, read judge.Request) (judge.Reply, error) {
	want, ok := r.expected(run.id)
	if !ok || r.holds(a, run.id, want) {
		return a, nil
	}
	prov, _ := want.Get(spec.ProviderField)
	p := r.doc.Provider(prov.Str)
	if p == nil {
		return a, nil
	}
	body := pyjson.ObjectValue(nil)
	for _, f := range r.restorable(p) {
		if v, ok := want.Get(f); ok {
			body.Set(f, v)
		}
	}
	b, err := pyjson.Append(nil, body)
	if err != nil {
		return a, nil
	}
	put, err := r.send(ctx, run.session, judge.JSONRequest(http.MethodPatch, judge.NumberPath(run.id), b))
	if err != nil {
		return a, err
	}
	after, err := r.send(ctx, run.session, read)
	if err != nil {
		return a, err
	}
	if _, problem := r.judge.CheckRecord(after, run.id); after.Status != http.StatusOK || problem != "" {
		if problem == "" {
			problem = fmt.Sprintf("a read answered %d", after.Status)
		}
		run.lost = fmt.Sprintf("the %s number %s could not be restored before this case: the restoring PATCH answered %d, then %s; its later cases are skipped",
			prov.Str, run.id, put.Status, problem)
	}
	return after, nil
}

// holds reports whether a is a read of id answering exactly the record want.
func (r *runner) holds(a judge.Reply, id string, want pyjson.Value) bool {
	rec, problem := r.judge.CheckRecord(a, id)
	return a.Status == http.StatusOK && problem == "" && len(judge.Compare(judge.Reply{Status: 200, Body: encodeValue(rec)}, judge.Reply{Status: 200, Body: encodeValue(want)}, false)) == 0
}

func encodeValue(v pyjson.Value) []byte { b, _ := pyjson.Append(nil, v); return b }

// leave records the record the number must hold before its next case: the oracle's,
// as the case left it, when it can be read; else the snapshot.
func (r *runner) leave(ctx context.Context, run *caseRun, caseID, provider string, read judge.Request) {
	if run.lost != "" {
		r.hygiene.mu.Lock()
		if r.hygiene.lost == nil {
			r.hygiene.lost = map[string]string{}
		}
		r.hygiene.lost[provider] = caseID
		r.hygiene.mu.Unlock()
		return
	}
	if run.id == "" {
		return
	}
	if run.before.Kind != pyjson.Object {
		return // the case never started: the number holds what it held
	}
	r.hygiene.mu.Lock()
	defer r.hygiene.mu.Unlock()
	if r.hygiene.expect == nil {
		r.hygiene.expect = map[string]pyjson.Value{}
	}
	delete(r.hygiene.expect, run.id)
	f, err := r.oracle.Send(ctx, run.session, read)
	if err != nil || f.Status != http.StatusOK {
		return
	}
	if rec, problem := r.judge.CheckRecord(f, run.id); problem == "" {
		r.hygiene.expect[run.id] = rec
	}
}
