package mock

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
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
type session struct {
	name string

	mu       sync.Mutex // guards everything below
	records  map[string]*record
	order    []string // ids in seed order, then creation order
	faults   []*fault // sorted: highest priority first, then newest first
	faultSeq int
	journal  journal
	lastUsed time.Time
}

func (s *Server) newSession(name string) *session {
	ss := &session{name: name}
	ss.journal.limit = s.opts.JournalSize
	s.resetSession(ss)
	return ss
}

// resetSession restores the fixtures and start faults and clears the journal.
func (s *Server) resetSession(ss *session) {
	records := make(map[string]*record, len(s.seed))
	order := make([]string, 0, len(s.seed))
	for _, r := range s.seed {
		c := r.clone()
		records[c.id()] = c
		order = append(order, c.id())
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.records, ss.order = records, order
	ss.faults, ss.faultSeq = nil, 0
	for _, c := range s.startFaults {
		ss.insertFault(c, s.opts.Seed)
	}
	ss.journal.clear()
}

// session returns the named session, creating it from the fixtures on first use and
// dropping the least recently used one when there are too many.
func (s *Server) session(name string) *session {
	if name == "" {
		return s.def
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[name]; ok {
		ss.lastUsed = now
		return ss
	}
	if len(s.sessions) >= s.opts.MaxSessions {
		var oldest *session
		for _, ss := range s.sessions {
			if oldest == nil || ss.lastUsed.Before(oldest.lastUsed) {
				oldest = ss
			}
		}
		delete(s.sessions, oldest.name)
		s.log.Info("session dropped", "session", oldest.name, "reason", "max sessions reached")
	}
	ss := s.newSession(name)
	ss.lastUsed = now
	s.sessions[name] = ss
	return ss
}

// dropSessions forgets every named session.
func (s *Server) dropSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// sessionNames lists the named sessions that exist now.
func (s *Server) sessionNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.sessions))
}

// errUnencodable is a value that would be stored but cannot be rendered in an answer.
var errUnencodable = errors.New("mock: value cannot be encoded")

// update applies the surviving fields of a valid body to one record and returns a
// copy of the record's values to render (appended to dst) and its provider. found is
// false for an unknown id. Fields the record's provider does not declare, and the
// identity fields, are dropped; a string sets, null clears. unencodable[i] marks a
// field whose value no answer could carry: if such a field would be stored, nothing
// is stored and errUnencodable is returned.
func (ss *session) update(id string, fields []pyjson.Member, unencodable []bool, dst []pyjson.Value) (values []pyjson.Value, p *spec.Provider, found bool, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	rec, ok := ss.records[id]
	if !ok {
		return dst, nil, false, nil
	}
	p = rec.provider
	apply := func(f pyjson.Member) int {
		i := p.Index(f.Key)
		if i < 0 || f.Key == spec.IDField || f.Key == spec.ProviderField || p.Fields[i].Check(f.Value) != nil {
			return -1
		}
		return i
	}
	for k, f := range fields {
		if unencodable != nil && unencodable[k] && apply(f) >= 0 {
			return dst, p, true, errUnencodable
		}
	}
	for _, f := range fields {
		if i := apply(f); i >= 0 {
			v := f.Value
			v.Str = strings.Clone(v.Str) // the decoded body's text must not stay pinned by the store
			rec.values[i] = v
		}
	}
	return append(dst, rec.values...), p, true, nil
}

// list returns copies of every record in order.
func (ss *session) list() []*record {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*record, 0, len(ss.order))
	for _, id := range ss.order {
		out = append(out, ss.records[id].clone())
	}
	return out
}

// get returns a copy of one record.
func (ss *session) get(id string) (*record, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r, ok := ss.records[id]
	if !ok {
		return nil, false
	}
	return r.clone(), true
}

// put stores a record, replacing one with the same id in its place.
func (ss *session) put(rec *record) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	id := rec.id()
	if _, exists := ss.records[id]; !exists {
		ss.order = append(ss.order, id)
	}
	ss.records[id] = rec
}

// create stores the record that build makes; build runs under the lock, so that the
// id it picks stays free, and is told the session's size to seed itself from.
func (ss *session) create(build func(taken func(string) bool, records, faultSeq int) (*record, error)) (*record, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	rec, err := build(func(id string) bool { _, ok := ss.records[id]; return ok }, len(ss.records), ss.faultSeq)
	if err != nil {
		return nil, err
	}
	ss.records[rec.id()] = rec
	ss.order = append(ss.order, rec.id())
	return rec.clone(), nil
}

// freeID returns an id no record has (made by next from an attempt number), deleting
// want first when it is given.
func (ss *session) freeID(want string, next func(attempt uint64, size int) string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if want != "" {
		if _, ok := ss.records[want]; ok {
			delete(ss.records, want)
			ss.order = slices.DeleteFunc(ss.order, func(id string) bool { return id == want })
		}
		return want
	}
	for i := uint64(0); ; i++ {
		id := next(i, len(ss.records))
		if _, taken := ss.records[id]; !taken {
			return id
		}
	}
}

// addFault adds a rule checkFault accepted; the rule returned has its id.
func (ss *session) addFault(c checkedRule, seed uint64) FaultRule {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.insertFault(c, seed)
}

func (ss *session) insertFault(c checkedRule, seed uint64) FaultRule {
	ss.faultSeq++
	f := newFault(c, ss.faultSeq, seed)
	ss.faults = insertSorted(ss.faults, f)
	return f.FaultRule
}

// pickFault finds the rule that answers a request and counts its use; nil when none
// does.
func (ss *session) pickFault(fr *faultRequest) *fault {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return pick(ss.faults, fr)
}

// faultStatuses lists the rules in the order they were added.
func (ss *session) faultStatuses() []FaultStatus {
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
func (ss *session) removeFault(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := len(ss.faults)
	ss.faults = slices.DeleteFunc(ss.faults, func(f *fault) bool { return f.ID == id })
	return len(ss.faults) != n
}

// clearFaults deletes every rule.
func (ss *session) clearFaults() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.faults = nil
}

// record adds an exchange to the journal.
func (ss *session) record(e JournalEntry) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.journal.add(e)
}

// requests returns the journal, oldest first.
func (ss *session) requests() []JournalEntry {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.journal.list()
}

// clearRequests empties the journal.
func (ss *session) clearRequests() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.journal.clear()
}
