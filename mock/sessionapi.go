package mock

// Session is a handle on one session's state, faults and journal: the Go API behind
// the admin routes. Handles are cheap; take one with Server.Session.
type Session struct {
	s  *Server
	ss *sessionState
}

// Name is the session's name; "" is the default session.
func (h *Session) Name() string { return h.ss.name }

// Reset restores the fixtures and start faults and clears the journal.
func (h *Session) Reset() { h.s.resetSession(h.ss) }

// PhoneNumbers returns copies of the session's phone numbers in order.
func (h *Session) PhoneNumbers() []PhoneNumber {
	recs := h.ss.list()
	out := make([]PhoneNumber, len(recs))
	for i, r := range recs {
		out[i] = r.phoneNumber()
	}
	return out
}

// PhoneNumber returns a copy of one phone number.
func (h *Session) PhoneNumber(id string) (PhoneNumber, bool) {
	r, ok := h.ss.get(id)
	if !ok {
		return PhoneNumber{}, false
	}
	return r.phoneNumber(), true
}

// AddFault checks a rule against the document and adds it; the returned rule has
// its id. Errors wrap ErrFaultRule.
func (h *Session) AddFault(r FaultRule) (FaultRule, error) {
	c, err := h.s.checkFault(r)
	if err != nil {
		return FaultRule{}, err
	}
	return h.ss.addFault(c, h.s.opts.Seed, h.s.opts.MaxFaultRules)
}

// Faults lists the rules with how often each matched and fired and how many uses
// remain, in the order they were added.
func (h *Session) Faults() []FaultStatus { return h.ss.faultStatuses() }

// RemoveFault deletes one rule; it reports whether the id existed.
func (h *Session) RemoveFault(id string) bool { return h.ss.removeFault(id) }

// ClearFaults deletes every rule.
func (h *Session) ClearFaults() { h.ss.clearFaults() }

// Requests returns the journal, oldest first.
func (h *Session) Requests() []JournalEntry { return h.s.journal.list(h.ss, JournalQuery{}) }

// Journal returns the entries q selects.
func (h *Session) Journal(q JournalQuery) []JournalEntry { return h.s.journal.list(h.ss, q) }

// ClearRequests empties the journal.
func (h *Session) ClearRequests() { h.s.journal.clear(h.ss) }

// SetState puts the session into a named provider state (Server.States lists them)
// and returns the variables a test needs, such as {"phone_number_id": "…"}.
func (h *Session) SetState(name string, params map[string]any) (map[string]any, error) {
	return h.s.setState(h.ss, name, params)
}

// Sessions lists what each session holds: the default session first, then the named
// ones, most recently used first (GET /__admin/sessions).
func (s *Server) Sessions() []SessionInfo { return s.sessionInfos() }
