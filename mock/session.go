package mock

import (
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
type session struct {
	name string

	mu       sync.Mutex // guards everything below
	records  map[string]*record
	order    []string // ids in seed order, then creation order
	faults   []*fault
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
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.records = make(map[string]*record, len(s.seed))
	ss.order = make([]string, 0, len(s.seed))
	for _, r := range s.seed {
		c := r.clone()
		ss.records[c.id()] = c
		ss.order = append(ss.order, c.id())
	}
	ss.faults, ss.faultSeq = nil, 0
	for _, f := range s.startFaults {
		ss.addFault(f.rule, f.body, s.opts.Seed)
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

// update applies the surviving fields of a valid body to one record and renders it.
// found is false for an unknown id. Fields the record's provider does not declare,
// and the identity fields, are dropped; a string sets, null clears.
func (ss *session) update(id string, fields []pyjson.Member, dst []byte) (body []byte, found bool, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	rec, ok := ss.records[id]
	if !ok {
		return dst, false, nil
	}
	p := rec.provider
	// Check everything first so that a value that cannot be answered is not stored.
	for _, f := range fields {
		if _, err := pyjson.Append(dst[:0], f.Value); err != nil {
			return dst, true, err
		}
	}
	for _, f := range fields {
		i := p.Index(f.Key)
		if i < 0 || f.Key == spec.IDField || f.Key == spec.ProviderField || p.Fields[i].Check(f.Value) != nil {
			continue
		}
		v := f.Value
		v.Str = strings.Clone(v.Str) // the decoded body's text must not stay pinned by the store
		rec.values[i] = v
	}
	body, err = rec.appendJSON(dst)
	return body, true, err
}

// list renders every record in order.
func (ss *session) list() []*record {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*record, 0, len(ss.order))
	for _, id := range ss.order {
		out = append(out, ss.records[id].clone())
	}
	return out
}

func (ss *session) get(id string) (*record, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r, ok := ss.records[id]
	if !ok {
		return nil, false
	}
	return r.clone(), true
}
