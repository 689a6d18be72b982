package mock

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
)

// Bounds on what one journal entry keeps, whatever a client sends.
const (
	maxJournalBody        = 64 << 10 // body bytes kept per entry
	maxJournalHeaderValue = 1 << 10  // bytes kept of each header value
	maxJournalHeaders     = 64       // header names kept per entry
	journalEntryOverhead  = 512      // what an entry costs beyond its text, for the budget
)

// Validation verdicts recorded in the journal.
const (
	ValidationValid       = "valid"         // the body passed the anyOf union
	ValidationInvalid     = "invalid"       // answered 422
	ValidationUnparseable = "unparseable"   // answered 400: json.loads could not decode it
	ValidationSkipped     = "not validated" // not a PATCH to the operation, or a fault answered first
)

// JournalEntry is one request the fake received, as GET /__admin/requests lists it.
// Secrets are redacted: credential fields in the body, credential headers and query
// parameters (package protocol says which).
type JournalEntry struct {
	Seq    int64       `json:"seq"`
	Time   time.Time   `json:"time"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"headers"`
	// HeadersTruncated says that header values were cut or headers left out.
	HeadersTruncated bool `json:"headers_truncated,omitempty"`
	// Body is the request body as text (at most 64 KiB; BodyTruncated says when cut).
	Body          string `json:"body"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	// Validation is how the body was judged: valid, invalid, unparseable, not validated.
	Validation string `json:"validation"`
	// Status is the status sent; 0 when a connection fault broke the connection first.
	Status int `json:"status"`
	// ResponseBody is the answer's body as text, secrets redacted (at most 64 KiB;
	// ResponseBodyTruncated says when cut).
	ResponseBody          string `json:"response_body,omitempty"`
	ResponseBodyTruncated bool   `json:"response_body_truncated,omitempty"`
	// Fault is the id of the fault rule that answered, "" when none did.
	Fault string `json:"fault,omitempty"`
	// DelaySkipped says that a fault's delay was cut short because the fake was
	// shutting down; the answer is the one the request would have got.
	DelaySkipped bool    `json:"delay_skipped,omitempty"`
	DurationMS   float64 `json:"duration_ms"`

	// ConnectionClosed says the fake closed the connection after the answer, without
	// "Connection: close", as uvicorn does after an unhandled error (Starlette's plain
	// 500); OffDocument that the answer holds a stored value its response schema does
	// not allow, answered as the service answers it.
	ConnectionClosed bool `json:"connection_closed,omitempty"`
	OffDocument      bool `json:"off_document,omitempty"`
}

// Redacted is what stands in for a secret.
const Redacted = protocol.Redacted

// journal keeps the exchanges of every session within one byte budget. When it is
// spent, the session holding the most gives up its oldest entry: a session flooding
// the journal eats its own entries, and another session's last entries survive it.
// Each session also keeps at most perSession entries. It has its own lock, taken
// only here.
type journal struct {
	mu         sync.Mutex
	budget     int64
	perSession int
	used       int64
	logs       map[*sessionState]*sessionLog
}

type sessionLog struct {
	entries []*entry // this session's entries, oldest first; live from head on
	head    int
	seq     int64
	bytes   int64 // what the live entries cost
}

func (l *sessionLog) live() []*entry { return l.entries[l.head:] }

type entry struct {
	JournalEntry
	size int64
}

func newJournal(budget int64, perSession int) *journal {
	return &journal{budget: budget, perSession: perSession, logs: map[*sessionState]*sessionLog{}}
}

func (j *journal) enabled() bool { return j.budget > 0 && j.perSession > 0 }

// entrySize is what an entry costs the budget.
func entrySize(e *JournalEntry) int64 {
	size := int64(len(e.Body)+len(e.ResponseBody)+len(e.Path)+len(e.Query)+len(e.Method)+len(e.Fault)) + journalEntryOverhead
	for k, vs := range e.Header {
		size += int64(len(k))
		for _, v := range vs {
			size += int64(len(v))
		}
	}
	return size
}

// add keeps an entry for ss, dropping the oldest ones that no longer fit. Its bodies
// are redacted here, once, before they are kept or counted: redaction may lengthen
// the text ("token":1 becomes "token":"[REDACTED]"), and what is kept is what counts.
// protocol.RedactText returns at once for a body without a secret's name in it.
func (j *journal) add(ss *sessionState, e JournalEntry) {
	if !j.enabled() {
		return
	}
	e.Body, e.ResponseBody = redactBody(e.Body), redactBody(e.ResponseBody)
	size := entrySize(&e)
	j.mu.Lock()
	defer j.mu.Unlock()
	l := j.logs[ss]
	if l == nil {
		l = &sessionLog{}
		j.logs[ss] = l
	}
	l.seq++
	e.Seq = l.seq
	en := &entry{JournalEntry: e, size: size}
	l.entries = append(l.entries, en)
	j.used += size
	l.bytes += size
	for len(l.live()) > j.perSession {
		j.killOldest(l)
	}
	j.trim()
}

// trim drops entries until the journal fits its budget: the oldest of the session
// that holds the most (among equals, the one whose oldest entry is oldest).
func (j *journal) trim() {
	for j.used > j.budget {
		var big *sessionLog
		for _, l := range j.logs {
			if len(l.live()) == 0 {
				continue
			}
			if big == nil || l.bytes > big.bytes || l.bytes == big.bytes && l.live()[0].Time.Before(big.live()[0].Time) {
				big = l
			}
		}
		if big == nil {
			return
		}
		j.killOldest(big)
	}
}

// killOldest drops a session's oldest live entry.
func (j *journal) killOldest(l *sessionLog) {
	en := l.entries[l.head]
	j.used -= en.size
	l.bytes -= en.size
	l.entries[l.head] = nil
	l.head++
	if l.head > len(l.entries)/2 {
		l.entries = append(l.entries[:0], l.entries[l.head:]...)
		l.head = 0
	}
}

// clear drops a session's entries; its sequence numbers go on.
func (j *journal) clear(ss *sessionState) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if l := j.logs[ss]; l != nil {
		for len(l.live()) > 0 {
			j.killOldest(l)
		}
	}
}

// forget drops a session's entries and its log, for a session that is gone.
func (j *journal) forget(ss *sessionState) {
	j.clear(ss)
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.logs, ss)
}

// JournalQuery selects entries: those after Since (a seq), at most Limit of them
// (0: all), oldest first unless NewestFirst.
type JournalQuery struct {
	Since       int64
	Limit       int
	NewestFirst bool
}

// list returns copies of a session's entries that q selects (redacted when added).
func (j *journal) list(ss *sessionState, q JournalQuery) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	l := j.logs[ss]
	if l == nil {
		return []JournalEntry{}
	}
	var sel []*entry
	for _, en := range l.live() {
		if en.Seq > q.Since {
			sel = append(sel, en)
		}
	}
	if q.NewestFirst {
		for a, b := 0, len(sel)-1; a < b; a, b = a+1, b-1 {
			sel[a], sel[b] = sel[b], sel[a]
		}
	}
	if q.Limit > 0 && len(sel) > q.Limit {
		sel = sel[:q.Limit]
	}
	out := make([]JournalEntry, len(sel))
	for i, en := range sel {
		out[i] = en.JournalEntry
	}
	return out
}

// stats reports how many entries a session's journal holds and what they cost.
func (j *journal) stats(ss *sessionState) (entries int, bytes int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if l := j.logs[ss]; l != nil {
		return len(l.live()), l.bytes
	}
	return 0, 0
}

// usage reports the bytes the journal holds.
func (j *journal) usage() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.used
}

// journalHeader keeps a bounded, redacted copy of the request's headers.
func journalHeader(h http.Header) (http.Header, bool) {
	out := make(http.Header, min(len(h), maxJournalHeaders))
	truncated := false
	keys := slices.Collect(maps.Keys(h))
	if len(keys) > maxJournalHeaders {
		slices.Sort(keys) // which ones are kept must not depend on map order
	}
	for _, k := range keys {
		if len(out) == maxJournalHeaders {
			truncated = true
			break
		}
		vs := h[k]
		if protocol.SecretHeader(k) {
			out[k] = []string{Redacted}
			continue
		}
		if slices.ContainsFunc(vs, protocol.MayHoldSecret) {
			vs = protocol.RedactHeader(http.Header{k: vs})[k] // a secret inside the value: a URL's token=…
		}
		if len(vs) == 1 && len(vs[0]) <= maxJournalHeaderValue {
			// The usual case: share the value (strings are immutable; the clipped
			// slice cannot be appended into by the request's owner).
			out[k] = slices.Clip(vs)
			continue
		}
		kept := make([]string, 0, len(vs))
		size := 0
		for _, v := range vs {
			if size+len(v) > maxJournalHeaderValue {
				v = v[:max(0, maxJournalHeaderValue-size)]
				truncated = true
			}
			size += len(v)
			kept = append(kept, v)
			if size >= maxJournalHeaderValue {
				break
			}
		}
		out[k] = kept
	}
	return out, truncated
}

// redactBody replaces the values of secrets in a body's text, JSON or not
// (protocol.RedactText: the one policy of the fake, the runner and the proxy).
func redactBody(body string) string { return protocol.RedactText(body) }
