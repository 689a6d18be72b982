package mock

import (
	"net/http"
	"time"

	"github.com/verbex/verbex-mock/mock/protocol"
)

// maxJournalBody bounds the body kept per journal entry, so the journal's memory stays
// bounded (JournalSize × 64 KiB at worst) whatever clients send.
const maxJournalBody = 64 << 10

// Validation verdicts recorded in the journal.
const (
	ValidationValid       = "valid"         // the body passed the anyOf union
	ValidationInvalid     = "invalid"       // answered 422
	ValidationUnparseable = "unparseable"   // answered 400: json.loads could not decode it
	ValidationSkipped     = "not validated" // not a PATCH to the operation, or a fault answered first
)

// JournalEntry is one request the fake received, as GET /__admin/requests lists it.
type JournalEntry struct {
	Seq    int64       `json:"seq"`
	Time   time.Time   `json:"time"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"headers"`
	// Body is the request body as text (at most 64 KiB; BodyTruncated says when cut).
	Body          string `json:"body"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	// Validation is how the body was judged: valid, invalid, unparseable, not validated.
	Validation string `json:"validation"`
	// Status is the status sent; 0 when a connection fault broke the connection first.
	Status int `json:"status"`
	// Fault is the id of the fault rule that answered, "" when none did.
	Fault      string  `json:"fault,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Redacted is what stands in for a secret.
const Redacted = protocol.Redacted

// journal is a bounded ring of entries, oldest dropped first. Guarded by session.mu.
type journal struct {
	limit   int
	entries []JournalEntry
	start   int // index of the oldest entry once the ring is full
	seq     int64
}

func (j *journal) add(e JournalEntry) {
	if j.limit <= 0 {
		return
	}
	j.seq++
	e.Seq = j.seq
	if len(j.entries) < j.limit {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[j.start] = e
	j.start = (j.start + 1) % j.limit
}

// list returns the entries oldest first.
func (j *journal) list() []JournalEntry {
	out := make([]JournalEntry, 0, len(j.entries))
	out = append(out, j.entries[j.start:]...)
	return append(out, j.entries[:j.start]...)
}

func (j *journal) clear() {
	j.entries, j.start = nil, 0
}
