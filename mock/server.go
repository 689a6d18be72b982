package mock

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/sync/semaphore"

	"github.com/verbex/verbex-mock/mock/spec"
)

// Server is the fake Verbex phone-number API: an http.Handler with its own state.
// Servers share nothing, so any number can run in one process.
type Server struct {
	doc         *spec.Document
	opts        Options
	log         *slog.Logger
	seed        *seed // immutable; every session reads it until it writes
	startFaults []checkedRule
	states      []state // provider states, derived from the document
	router      *mux.Router
	table       map[string]route // route name → what serves it
	notFound    route
	def         *sessionState
	journal     *journal
	state       budget                          // store and fault rules of all sessions, in bytes
	inflight    *semaphore.Weighted             // request bodies, their trees and answers being held, in bytes
	parking     *parking                        // what requests sleeping in a fault delay hold instead
	bodyWait    time.Duration                   // how long a body waits for room in inflight
	exchanges   sync.Pool                       // *exchange, with their buffers
	shapes      map[*spec.Provider]*recordShape // for the journal (journalrecord.go)

	mu       sync.Mutex // guards sessions and evicted; taken only in session.go
	sessions map[string]*sessionState
	evicted  map[string]time.Time // names dropped under pressure, until their next request
	// evictedOrder is evicted's names in the order they were dropped, to forget the
	// oldest; evictionLogged and evictedUnlogged rate-limit the log of drops.
	evictedOrder    []evictedName
	evictionLogged  time.Time
	evictedUnlogged int
	matchWarned     atomic.Int64 // unix nanoseconds of the last warning of matching work

	stopping     chan struct{} // closed by Drain
	stoppingOnce sync.Once
}

var _ http.Handler = (*Server)(nil)

// New loads the document, the fixtures and the start faults and returns a Server.
// A document or fixtures file that cannot be served is an error that says what and
// where (spec.ErrInvalid, *FixtureError, ErrFaultRule).
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	doc, err := loadDocument(opts.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.SpecName, err)
	}
	s := &Server{doc: doc, opts: opts, log: opts.Logger, sessions: map[string]*sessionState{},
		journal: newJournal(opts.JournalBytes, opts.JournalSize), stopping: make(chan struct{}), shapes: recordShapes(doc)}
	for _, w := range doc.Warnings {
		s.log.Warn("spec: "+w.String(), "keyword", w.Keyword, "at", w.Pointer, "side", w.Side)
	}
	for _, f := range nullsOffSchema(doc) {
		s.log.Warn("spec: an update may set a field to null that the response does not allow: the fake stores the null and answers it, off the document, as the service would", "field", f)
	}
	s.exchanges.New = func() any { return &exchange{out: make([]byte, 0, 1024)} }
	s.state = newBudget(opts.StateBytes, opts.MaxSessions)
	s.inflight = semaphore.NewWeighted(opts.InflightBytes)
	s.parking = newParking(opts.InflightBytes)
	s.bodyWait = maxBodyWait
	seeded, err := parseFixtures(doc, opts.FixturesName, opts.Fixtures)
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(seeded)+opts.Generate)
	for _, r := range seeded {
		taken[r.id()] = true
	}
	fill, err := fillProviders(doc, seeded, opts.Seed, func(id string) bool { return taken[id] })
	if err != nil {
		return nil, err
	}
	for _, r := range fill {
		taken[r.id()] = true
		s.log.Info("generated a number for a provider the fixtures have none of", "provider", r.provider.Name, "phone_number_id", r.id())
	}
	more, err := generate(doc, opts.Generate, opts.Seed, func(id string) bool { return taken[id] })
	if err != nil {
		return nil, err
	}
	s.seed = newSeed(slices.Concat(seeded, fill, more))
	if err := s.checkStartFaults(); err != nil {
		return nil, err
	}
	s.states = s.buildStates()
	s.routes()
	s.def = s.newSession("")
	return s, nil
}

// documents shares compiled documents across the servers of a process: a Go test
// binary starts many fakes from the same bytes, and each document builds its response
// validator only once. Documents are immutable and safe for concurrent use.
var documents sync.Map // sha256 of the bytes → *spec.Document

func loadDocument(data []byte) (*spec.Document, error) {
	key := sha256.Sum256(data)
	if d, ok := documents.Load(key); ok {
		return d.(*spec.Document), nil
	}
	d, err := spec.Load(data)
	if err != nil {
		return nil, err
	}
	actual, _ := documents.LoadOrStore(key, d)
	return actual.(*spec.Document), nil
}

// Drain makes the server finish what is in flight at once, for a shutdown: fault
// delays end now and each waiting request gets the answer it would have got (marked
// delay_skipped in the journal). Call it before http.Server.Shutdown.
func (s *Server) Drain() { s.stoppingOnce.Do(func() { close(s.stopping) }) }

// Document returns the loaded, compiled OpenAPI document.
func (s *Server) Document() *spec.Document { return s.doc }

// SeededIDs returns the ids of the seeded phone numbers by provider, in seed order.
func (s *Server) SeededIDs() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.seed.order {
		out[r.provider.Name] = append(out[r.provider.Name], r.id())
	}
	return out
}

// Reset restores the fixtures and start faults, clears the journal of the default
// session and drops every named session.
func (s *Server) Reset() {
	s.resetSession(s.def)
	s.dropSessions()
}

// Session returns the named session's handle, creating the session from the fixtures
// on first use. The name "" is the default session, used by requests without
// the X-Verbex-Mock-Session header.
func (s *Server) Session(name string) *Session { return &Session{s: s, ss: s.lookupSession(name)} }

// SessionNames lists the named sessions that exist now.
func (s *Server) SessionNames() []string { return s.sessionNames() }

// PhoneNumbers returns the default session's phone numbers in order.
func (s *Server) PhoneNumbers() []PhoneNumber { return s.Session("").PhoneNumbers() }

// PhoneNumber returns one phone number of the default session.
func (s *Server) PhoneNumber(id string) (PhoneNumber, bool) { return s.Session("").PhoneNumber(id) }

// ServeHTTP answers one request: the router, then body decoding and validation, then
// the store, then the answer, which one place sends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(r)
	defer s.release(x)
	s.send(w, x, s.dispatch(x))
}
