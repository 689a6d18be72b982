package mock

import (
	"encoding/binary"
	"net/http"
	"slices"
	"sync"
	"time"
	"unsafe"

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

// sessionLog is one session's entries in a ring, oldest at head: a session at its
// cap drops one entry for each it adds, and nothing moves.
type sessionLog struct {
	ring  []entry
	head  int
	n     int   // live entries
	seq   int64 // the last entry's
	bytes int64 // what the live entries cost
}

// at is the i-th live entry, oldest first.
func (l *sessionLog) at(i int) *entry { return &l.ring[(l.head+i)%len(l.ring)] }

func (l *sessionLog) push(en entry) {
	if l.n == len(l.ring) {
		l.resize(max(8, 2*len(l.ring)))
	}
	*l.at(l.n) = en
	l.n++
}

// pop drops the oldest entry and returns it. A ring left three quarters empty (its
// session's entries trimmed for the journal's budget, or cleared) is halved.
func (l *sessionLog) pop() entry {
	en := *l.at(0)
	*l.at(0) = entry{}
	l.head = (l.head + 1) % len(l.ring)
	l.n--
	if len(l.ring) > 8 && l.n < len(l.ring)/4 {
		l.resize(len(l.ring) / 2)
	}
	return en
}

func (l *sessionLog) resize(size int) {
	ring := make([]entry, size)
	for i := range l.n {
		ring[i] = *l.at(i)
	}
	l.ring, l.head = ring, 0
}

// entry is one exchange as captured: one allocation (raw) per request. Header, Body,
// ResponseBody and the redacted Query are filled from raw when a reader first asks
// (see list); most entries are never read.
type entry struct {
	JournalEntry
	raw       []byte // body, then answer, then headers (appendHeaders); nil once read
	bodyLen   int
	answerLen int
	size      int64
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

// add keeps an entry for ss, dropping the oldest ones that no longer fit. It returns
// the text buffer of the last entry it dropped, for the next capture to reuse: a
// session at its cap drops one entry for each it adds, and then the journal
// allocates nothing.
func (j *journal) add(ss *sessionState, en entry) (spare []byte) {
	if !j.enabled() {
		return nil
	}
	size := en.size
	j.mu.Lock()
	defer j.mu.Unlock()
	l := j.logs[ss]
	if l == nil {
		l = &sessionLog{}
		j.logs[ss] = l
	}
	l.seq++
	en.Seq = l.seq
	l.push(en)
	j.used += size
	l.bytes += size
	for l.n > j.perSession {
		spare = j.killOldest(l)
	}
	if s := j.trim(); s != nil {
		spare = s
	}
	return spare
}

// trim drops entries until the journal fits its budget: the oldest of the session
// that holds the most (among equals, the one whose oldest entry is oldest).
func (j *journal) trim() (spare []byte) {
	for j.used > j.budget {
		var big *sessionLog
		for _, l := range j.logs {
			if l.n == 0 {
				continue
			}
			if big == nil || l.bytes > big.bytes || l.bytes == big.bytes && l.at(0).Time.Before(big.at(0).Time) {
				big = l
			}
		}
		if big == nil {
			return spare
		}
		spare = j.killOldest(big)
	}
	return spare
}

// killOldest drops a session's oldest live entry and returns its text buffer (nil
// once a reader has filled the entry).
func (j *journal) killOldest(l *sessionLog) []byte {
	en := l.pop()
	j.used -= en.size
	l.bytes -= en.size
	return en.raw
}

// clear drops a session's entries; its sequence numbers go on.
func (j *journal) clear(ss *sessionState) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if l := j.logs[ss]; l != nil {
		for l.n > 0 {
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

// list returns copies of a session's entries that q selects (redacted when they were
// captured). An entry's fields are filled from its text when first listed: most
// entries are never read.
func (j *journal) list(ss *sessionState, q JournalQuery) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	l := j.logs[ss]
	if l == nil {
		return []JournalEntry{}
	}
	var sel []*entry
	for i := range l.n {
		if en := l.at(i); en.Seq > q.Since {
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
		if en.raw != nil {
			en.fill()
		}
		out[i] = en.JournalEntry
	}
	return out
}

// stats reports how many entries a session's journal holds and what they cost.
func (j *journal) stats(ss *sessionState) (entries int, bytes int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if l := j.logs[ss]; l != nil {
		return l.n, l.bytes
	}
	return 0, 0
}

// usage reports the bytes the journal holds.
func (j *journal) usage() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.used
}

// captureEntry is the journal's copy of an exchange, in one allocation: the body and
// the answer (each cut at maxJournalBody) and the request's headers (at most
// maxJournalHeaders names, maxJournalHeaderValue bytes of values each, credential
// headers redacted), every text redacted as it is captured.
func captureEntry(e JournalEntry, body, answer []byte, h http.Header, record recordLayout, spare []byte) entry {
	en := entry{JournalEntry: e}
	if len(body) > maxJournalBody {
		body, en.BodyTruncated = body[:maxJournalBody], true
	}
	if len(answer) > maxJournalBody {
		answer, en.ResponseBodyTruncated = answer[:maxJournalBody], true
	}
	var kb [16]string // on the stack for the usual few headers
	keys := kb[:0]
	for k := range h {
		keys = append(keys, k)
	}
	if len(keys) > maxJournalHeaders {
		slices.Sort(keys) // which ones are kept must not depend on map order
		keys, en.HeadersTruncated = keys[:maxJournalHeaders], true
	}
	text := 0
	for _, k := range keys {
		text += appendHeaderSize(k, h[k])
	}
	// Redacted here, once, as they are copied in, before anything is kept or counted:
	// no secret is held in clear, and what is kept is what counts (redaction may
	// lengthen the text: "token":1 becomes "token":"[REDACTED]").
	en.raw = reuse(spare, len(body)+len(answer)+text+redactionRoom)
	en.raw = protocol.AppendRedacted(en.raw, bytesView(body))
	en.bodyLen = len(en.raw)
	if record.shape != nil && len(answer) > 0 && !en.ResponseBodyTruncated {
		en.raw = appendRecordRedacted(en.raw, answer, record)
	} else {
		en.raw = protocol.AppendRedacted(en.raw, bytesView(answer))
	}
	en.answerLen = len(en.raw) - en.bodyLen
	headerBytes := 0
	for _, k := range keys {
		var cut bool
		en.raw, headerBytes, cut = appendHeader(en.raw, headerBytes, k, h[k])
		en.HeadersTruncated = en.HeadersTruncated || cut
	}
	en.size = int64(en.bodyLen+en.answerLen+headerBytes+len(e.Path)+len(e.Query)+len(e.Method)+len(e.Fault)) + journalEntryOverhead
	return en
}

// appendHeaderSize is at most what appendHeader writes for k.
func appendHeaderSize(k string, vs []string) int {
	size := 0
	for _, v := range vs {
		size += 2*binary.MaxVarintLen64 + len(k) + min(len(v), maxJournalHeaderValue)
	}
	return max(size, 2*binary.MaxVarintLen64+len(k)+len(Redacted))
}

// appendHeader writes a header's kept values as (key, value) pairs, each string
// length-prefixed; bytes counts the key and value bytes kept, as entrySize does.
func appendHeader(dst []byte, bytes int, k string, vs []string) (out []byte, n int, truncated bool) {
	if protocol.SecretHeader(k) {
		dst = appendPair(dst, k, Redacted)
		return dst, bytes + len(k) + len(Redacted), false
	}
	bytes += len(k)
	if slices.ContainsFunc(vs, protocol.MayHoldSecret) {
		vs = protocol.RedactHeader(http.Header{k: vs})[k] // a secret inside the value: a URL's token=…
	}
	size := 0
	for _, v := range vs {
		if size+len(v) > maxJournalHeaderValue {
			v = v[:max(0, maxJournalHeaderValue-size)]
			truncated = true
		}
		size += len(v)
		dst = appendPair(dst, k, v)
		if size >= maxJournalHeaderValue {
			break
		}
	}
	return dst, bytes + size, truncated
}

func appendPair(dst []byte, k, v string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(k)))
	dst = append(dst, k...)
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// fill reads a captured entry's text into its fields; the strings share one copy.
func (en *entry) fill() {
	text := string(en.raw)
	en.Body = text[:en.bodyLen]
	en.ResponseBody = text[en.bodyLen : en.bodyLen+en.answerLen]
	en.Header = http.Header{}
	for rest := text[en.bodyLen+en.answerLen:]; rest != ""; {
		var k, v string
		k, rest = readString(rest)
		v, rest = readString(rest)
		en.Header[k] = append(en.Header[k], v)
	}
	en.raw = nil
}

func readString(s string) (string, string) {
	n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	return s[w : w+int(n)], s[w+int(n):]
}

// reuse is spare, emptied, if it holds need bytes and not much more (what an entry
// holds beyond its text is not counted in the budget, beyond journalEntryOverhead);
// else a new buffer.
func reuse(spare []byte, need int) []byte {
	if cap(spare) >= need && cap(spare) <= need+spareSlack {
		return spare[:0]
	}
	return make([]byte, 0, need)
}

// spareSlack is how much larger than needed a reused buffer may be.
const spareSlack = 256

// redactionRoom is room for what redaction usually adds (a short secret becomes
// "[REDACTED]"), so that the entry stays one allocation.
const redactionRoom = 32

// bytesView is b as a string without a copy, for reading only: AppendRedacted keeps
// nothing of its argument, and the body's buffer is not changed while it reads.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
