package mock

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// SessionHeader names the session a request belongs to; admin routes take ?session=.
const SessionHeader = protocol.SessionHeader

// session is one isolated copy of the fake's state: records, fault rules and journal.
// Requests without a session header use the default session (name "").
//
// Its mutex is taken only by the methods in this file: every other file works on
// copies, or hands a function (such as a fault pick) to run under the lock.
type sessionState struct {
	name  string
	seed  *seed   // the seeded records, shared by every session and never written
	state *budget // the bytes all sessions' own records and rules may hold

	mu sync.Mutex // guards everything below
	// The session's records are the seed's, overlaid with its own: a seeded record is
	// copied on its first write, so a new session costs O(1) however many are seeded.
	own      map[string]*record // records this session changed or created
	removed  map[string]bool    // seeded ids this session deleted
	added    []string           // ids this session created, in order
	faults   []*fault           // sorted: highest priority first, then newest first
	faultSeq int
	held     int64 // bytes of state its own records and fault rules cost
	// gone marks a session that is no longer kept (dropped, or never kept): a request
	// still holding it may finish its write, but nothing it does is charged to the
	// budget, for nothing would give it back.
	gone bool

	lastUsed atomic.Int64 // unix nanoseconds of the last request that found it; no lock
}

// seed is the immutable set of seeded records.
type seed struct {
	order []*record
	byID  map[string]*record
}

func newSeed(records []*record) *seed {
	sd := &seed{order: records, byID: make(map[string]*record, len(records))}
	for _, r := range records {
		sd.byID[r.id()] = r
	}
	return sd
}

func (s *Server) newSession(name string) *sessionState {
	ss := &sessionState{name: name, seed: s.seed, state: &s.state}
	ss.lastUsed.Store(time.Now().UnixNano())
	s.resetSession(ss)
	return ss
}

// resetSession restores the fixtures and start faults and clears the journal.
func (s *Server) resetSession(ss *sessionState) {
	ss.mu.Lock()
	ss.release()
	for _, c := range s.startFaults {
		ss.insertFault(c, s.opts.Seed) // start faults are checked against the budget in New
	}
	ss.mu.Unlock()
	s.journal.clear(ss)
}

// release drops the session's own records and rules and gives their bytes back; the
// caller holds ss.mu.
func (ss *sessionState) release() {
	ss.own, ss.removed, ss.added = nil, nil, nil
	ss.faults, ss.faultSeq = nil, 0
	ss.charge(-ss.held)
}

// charge takes n bytes from the state budget for this session (n < 0 gives back); the
// caller holds ss.mu. A session that is gone is charged nothing: its release already
// gave back all it held.
func (ss *sessionState) charge(n int64) error {
	if ss.gone {
		return nil
	}
	if err := ss.state.charge(ss.name, ss.held, n); err != nil {
		return err
	}
	ss.held += n
	return nil
}

// lookup finds a record, the session's own or the seed's; the caller holds ss.mu and
// must not write a seeded record (writable makes it the session's own).
func (ss *sessionState) lookup(id string) (*record, bool) {
	if r, ok := ss.own[id]; ok {
		return r, true
	}
	if ss.removed[id] {
		return nil, false
	}
	r, ok := ss.seed.byID[id]
	return r, ok
}

// writable returns the session's own copy of a record, copying a seeded one first.
func (ss *sessionState) writable(id string) (*record, bool) {
	if r, ok := ss.own[id]; ok {
		return r, true
	}
	r, ok := ss.lookup(id)
	if !ok {
		return nil, false
	}
	if ss.own == nil {
		ss.own = map[string]*record{}
	}
	c := r.clone()
	ss.own[id] = c
	return c, true
}

func (ss *sessionState) taken(id string) bool {
	_, ok := ss.lookup(id)
	return ok
}

// size is how many records the session has.
func (ss *sessionState) size() int {
	n := len(ss.seed.order) - len(ss.removed) + len(ss.added)
	return n
}

// session returns the named session, creating it from the fixtures on first use (the
// Go API's way: it never fails).
func (s *Server) lookupSession(name string) *sessionState {
	ss, _, ok := s.findSession(name, true, time.Now())
	if !ok || ss == nil {
		ss = s.newSession(name) // a name too long: a session of its own, not kept
		ss.drop()
	}
	return ss
}

// findSession finds the named session for a request. create says whether the request
// changes state and may create it; a read of a session that does not exist gets nil.
// A session dropped under pressure answers the next request naming it with an error
// that says so (ok false, with the answer to send), instead of silently starting over.
// now is when the request came (the clock is read once a request).
func (s *Server) findSession(name string, create bool, now time.Time) (ss *sessionState, a answer, ok bool) {
	if name == "" {
		s.def.lastUsed.Store(now.UnixNano())
		return s.def, answer{}, true
	}
	if len(name) > MaxSessionName {
		return nil, errorAnswer(http.StatusBadRequest, codeBadSession, fmt.Sprintf("A session name has at most %d bytes; this one has %d.", MaxSessionName, len(name))), false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[name]; ok {
		ss.lastUsed.Store(now.UnixNano())
		return ss, answer{}, true
	}
	if when, dropped := s.evicted[name]; dropped {
		delete(s.evicted, name)
		a := errorAnswer(http.StatusGone, codeEvicted, fmt.Sprintf(
			"Session %s was dropped at %s because more than %d sessions were in use (--max-sessions); its numbers, faults and journal are gone. The next request starts it again from the fixtures.",
			quoteName(name), when.UTC().Format(time.RFC3339), s.opts.MaxSessions))
		a.deliberate = true
		return nil, a, false
	}
	if !create {
		return nil, answer{}, true
	}
	if len(s.sessions) >= s.opts.MaxSessions {
		var oldest *sessionState
		for _, ss := range s.sessions {
			if oldest == nil || ss.lastUsed.Load() < oldest.lastUsed.Load() {
				oldest = ss
			}
		}
		delete(s.sessions, oldest.name)
		s.journal.forget(oldest)
		oldest.drop()
		s.rememberEvicted(oldest.name, now)
	}
	ss = s.newSession(name)
	s.sessions[name] = ss
	return ss, answer{}, true
}

// evictedMemory is how many dropped names, per --max-sessions, answer 410.
const evictedMemory = 10

// rememberEvicted keeps a dropped session's name, so that its next request answers
// 410, for the last evictedMemory × MaxSessions names (at most 256 bytes each); and
// logs the drop, at most once a second with how many went since. The caller holds s.mu.
func (s *Server) rememberEvicted(name string, now time.Time) {
	if s.evicted == nil {
		s.evicted = map[string]time.Time{}
	}
	for len(s.evictedOrder) >= evictedMemory*s.opts.MaxSessions {
		old := s.evictedOrder[0]
		s.evictedOrder = s.evictedOrder[1:]
		if s.evicted[old.name].Equal(old.when) { // not already answered, nor dropped again since
			delete(s.evicted, old.name)
		}
	}
	s.evicted[name] = now
	s.evictedOrder = append(s.evictedOrder, evictedName{name, now})
	s.evictedUnlogged++
	if now.Sub(s.evictionLogged) >= time.Second {
		s.log.Info("session dropped", "session", quoteName(name), "reason", "max sessions reached", "dropped_since_last_log", s.evictedUnlogged)
		s.evictionLogged, s.evictedUnlogged = now, 0
	}
}

type evictedName struct {
	name string
	when time.Time
}

// dropSessions forgets every named session.
func (s *Server) dropSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		s.journal.forget(ss)
		ss.drop()
	}
	clear(s.sessions)
	clear(s.evicted)
	s.evictedOrder = nil
}

// SessionInfo is what one session holds, as GET /__admin/sessions lists it.
type SessionInfo struct {
	Name           string `json:"name"`
	JournalEntries int    `json:"journal_entries"`
	JournalBytes   int64  `json:"journal_bytes"`
	StateBytes     int64  `json:"state_bytes"` // changed numbers and fault rules
	FaultRules     int    `json:"fault_rules"`
	LastUsed       string `json:"last_used"` // UTC, milliseconds
}

// sessionInfos lists every session: the default one first, then the named ones, most
// recently used first.
func (s *Server) sessionInfos() []SessionInfo {
	s.mu.Lock()
	all := make([]*sessionState, 0, len(s.sessions)+1)
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b *sessionState) int { return cmp.Compare(b.lastUsed.Load(), a.lastUsed.Load()) })
	all = slices.Insert(all, 0, s.def)
	out := make([]SessionInfo, len(all))
	for i, ss := range all {
		ss.mu.Lock()
		state, rules := ss.held, len(ss.faults)
		ss.mu.Unlock()
		entries, bytes := s.journal.stats(ss)
		out[i] = SessionInfo{Name: ss.name, JournalEntries: entries, JournalBytes: bytes, StateBytes: state, FaultRules: rules,
			LastUsed: time.Unix(0, ss.lastUsed.Load()).UTC().Format("2006-01-02T15:04:05.000Z")}
	}
	return out
}

// sessionNames lists the named sessions that exist now.
func (s *Server) sessionNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.sessions))
}

// drop gives back what a session that is gone held, for good: requests still using
// it change only its own copy.
func (ss *sessionState) drop() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.release()
	ss.gone = true
}

// errUnencodable is a value that would be stored but cannot be rendered in an answer.
var errUnencodable = errors.New("mock: value cannot be encoded")

// update applies the surviving fields of a valid body to one record and returns a
// copy of the record's values to render (appended to dst) and its provider. found is
// false for an unknown id. Fields the record's provider does not declare, and the
// identity fields, are dropped; a string sets, null clears. unencodable[i] marks a
// field whose value no answer could carry: if such a field would be stored, nothing
// is stored and errUnencodable is returned.
func (ss *sessionState) update(id string, fields []pyjson.Member, unencodable []bool, dst []pyjson.Value) (values []pyjson.Value, p *spec.Provider, found bool, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	rec, ok := ss.lookup(id)
	if !ok {
		return dst, nil, false, nil
	}
	p = rec.provider
	apply := func(f pyjson.Member) int {
		i := p.Index(f.Key)
		// A null the response schema does not allow is stored all the same, as the
		// service stores what it validated (the answer is marked off the document).
		if i < 0 || f.Key == spec.IDField || f.Key == spec.ProviderField || f.Value.Kind != pyjson.Null && p.Fields[i].Check(f.Value) != nil {
			return -1
		}
		return i
	}
	var cost int64
	changed := false
	for k, f := range fields {
		i := apply(f)
		if i < 0 {
			continue
		}
		if unencodable != nil && unencodable[k] {
			return dst, p, true, errUnencodable
		}
		if !rec.values[i].Equal(f.Value) {
			changed = true
			cost += valueSize(f.Value) - valueSize(rec.values[i])
		}
	}
	if changed {
		if _, own := ss.own[id]; !own {
			cost += recordSize(rec) // the seeded record is copied on its first write
		}
		if err := ss.charge(cost); err != nil {
			return dst, p, true, err
		}
		rec, _ = ss.writable(id)
		for _, f := range fields {
			if i := apply(f); i >= 0 {
				rec.values[i] = f.Value.Clone() // the decoded body must not stay pinned by the store
			}
		}
	}
	return append(dst, rec.values...), p, true, nil
}

// list returns copies of every record: the seeded ones in seed order, then the ones
// the session created.
func (ss *sessionState) list() []*record {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*record, 0, ss.size())
	for _, r := range ss.seed.order {
		if r, ok := ss.lookup(r.id()); ok {
			out = append(out, r.clone())
		}
	}
	for _, id := range ss.added {
		out = append(out, ss.own[id].clone())
	}
	return out
}

// get returns a copy of one record.
func (ss *sessionState) get(id string) (*record, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r, ok := ss.lookup(id)
	if !ok {
		return nil, false
	}
	return r.clone(), true
}

// put stores a record, replacing one with the same id in its place.
func (ss *sessionState) put(rec *record) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.store(rec)
}

// store adds or replaces a record; the caller holds ss.mu.
func (ss *sessionState) store(rec *record) error {
	id := rec.id()
	cost := recordSize(rec)
	if old, ok := ss.own[id]; ok {
		cost -= recordSize(old)
	}
	if err := ss.charge(cost); err != nil {
		return err
	}
	if _, seeded := ss.seed.byID[id]; seeded {
		delete(ss.removed, id)
	} else if _, exists := ss.own[id]; !exists {
		ss.added = append(ss.added, id)
	}
	if ss.own == nil {
		ss.own = map[string]*record{}
	}
	ss.own[id] = rec
	return nil
}

// remove deletes a record; the caller holds ss.mu.
func (ss *sessionState) remove(id string) {
	if _, seeded := ss.seed.byID[id]; seeded {
		if ss.removed == nil {
			ss.removed = map[string]bool{}
		}
		ss.removed[id] = true
	} else if _, ok := ss.own[id]; ok {
		ss.added = slices.DeleteFunc(ss.added, func(a string) bool { return a == id })
	}
	if old, ok := ss.own[id]; ok {
		ss.charge(-recordSize(old))
	}
	delete(ss.own, id)
}

// create stores the record that build makes; build runs under the lock, so that the
// id it picks stays free, and is told the session's size to seed itself from.
func (ss *sessionState) create(build func(taken func(string) bool, records, faultSeq int) (*record, error)) (*record, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	rec, err := build(ss.taken, ss.size(), ss.faultSeq)
	if err != nil {
		return nil, err
	}
	if err := ss.store(rec); err != nil {
		return nil, err
	}
	return rec.clone(), nil
}

// freeID returns an id no record has (made by next from an attempt number), deleting
// want first when it is given.
func (ss *sessionState) freeID(want string, next func(attempt uint64, size int) string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if want != "" {
		ss.remove(want)
		return want
	}
	for i := uint64(0); ; i++ {
		if id := next(i, ss.size()); !ss.taken(id) {
			return id
		}
	}
}

// addFault adds a rule checkFault accepted, unless the session holds max rules; the
// rule returned has its id.
func (ss *sessionState) addFault(c checkedRule, seed uint64, max int) (FaultRule, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.faults) >= max {
		return FaultRule{}, fmt.Errorf("%w: it has %d, the most it may hold (--max-fault-rules); delete some first", ErrTooManyRules, len(ss.faults))
	}
	if err := ss.charge(c.size); err != nil {
		return FaultRule{}, fmt.Errorf("%w: %w", ErrTooManyRules, err)
	}
	return ss.insertFault(c, seed), nil
}

func (ss *sessionState) insertFault(c checkedRule, seed uint64) FaultRule {
	ss.faultSeq++
	f := newFault(c, ss.faultSeq, seed)
	ss.faults = insertSorted(slices.Clip(ss.faults), f) // a new array: requests may be matching the old one
	return f.FaultRule
}

// pickFault finds the rule that answers a request and counts its use; nil when none
// does. The rules are matched outside the lock, so that a costly match never holds
// up the session's other requests; skipped counts rules left untried (maxMatchWork).
func (ss *sessionState) pickFault(fr *faultRequest) (f *fault, skipped int) {
	ss.mu.Lock()
	snapshot := ss.faults
	ss.mu.Unlock()
	if len(snapshot) == 0 {
		return nil, 0
	}
	matched, skipped := matchAll(snapshot, fr)
	if matchHook != nil {
		matchHook(ss)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return pick(ss.faults, snapshot, matched), skipped
}

// matchHook, when set by a test, runs after a request's rules are matched and before
// the session's lock is taken again.
var matchHook func(*sessionState)

// faultStatuses lists the rules in the order they were added.
func (ss *sessionState) faultStatuses() []FaultStatus {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]FaultStatus, len(ss.faults))
	for i, f := range ss.faults {
		out[i] = f.status()
	}
	slices.SortFunc(out, func(a, b FaultStatus) int { return a.seq - b.seq })
	return out
}

// removeFault deletes one rule; it reports whether the id existed.
func (ss *sessionState) removeFault(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := len(ss.faults)
	ss.faults = slices.DeleteFunc(slices.Clone(ss.faults), func(f *fault) bool { // a new array, as in insertFault
		if f.ID == id {
			ss.charge(-f.size)
			return true
		}
		return false
	})
	return len(ss.faults) != n
}

// clearFaults deletes every rule.
func (ss *sessionState) clearFaults() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, f := range ss.faults {
		ss.charge(-f.size)
	}
	ss.faults = nil
}
