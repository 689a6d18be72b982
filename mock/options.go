package mock

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/verbex/verbex-mock/fixtures"
)

// Default limits.
const (
	DefaultMaxBodyBytes      = 1 << 20
	DefaultJournalSize       = 1000
	DefaultJournalBytes      = 64 << 20
	DefaultMaxSessions       = 1000
	DefaultMaxFaultRules     = 1000
	DefaultMaxFaultRuleBytes = 256 << 10
	DefaultStateBytes        = 32 << 20
	DefaultInflightBytes     = 16 << 20
	// MaxGenerate bounds Options.Generate: 100,000 numbers take about a second to make
	// and some 60 MB, shared by every session.
	MaxGenerate = 100_000
	// MaxSessionName bounds a session's name in bytes.
	MaxSessionName = 256
)

// Options configures a Server. The zero value serves the embedded document and
// fixtures.
type Options struct {
	// Spec is the OpenAPI document (YAML or JSON). Nil selects the embedded one, which
	// is compiled ahead of time; another needs the OpenAPI library linked in (import
	// package mock/spec/openapi or mock/spec/fullcheck), else New returns
	// spec.ErrNeedsOpenAPI.
	Spec []byte
	// SpecName names Spec in messages (a file name); defaults to the embedded name.
	SpecName string
	// Fixtures is the seed data, {"phone_numbers": [...]} in YAML or JSON, each record
	// in its provider's Get…Response shape. Nil selects the embedded fixtures.
	Fixtures []byte
	// FixturesName names Fixtures in messages.
	FixturesName string
	// Generate adds this many phone numbers made with gofakeit from Seed.
	Generate int
	// Seed seeds Generate and fault probabilities. 0 selects DefaultSeed.
	Seed uint64
	// Faults are rules every session starts with (and returns to on reset).
	Faults []FaultRule
	// FaultFile is a fault file (YAML or JSON, as ParseFaultFile reads it) whose rules
	// follow Faults. New reports every mistake in it at once, in its form and against
	// the document alike, each at its line.
	FaultFile []byte
	// FaultFileName names FaultFile in messages.
	FaultFileName string
	// MaxBodyBytes bounds a request body; larger ones get 413. 0 selects 1 MiB.
	MaxBodyBytes int64
	// JournalSize bounds each session's request journal in entries. 0 selects 1000;
	// -1 turns the journal off. (The CLI's --journal-size counts the same way but
	// 0 there means off, as a flag's 0 usually does; it passes -1 for it.)
	JournalSize int
	// JournalBytes bounds the journal of all sessions together; when it is spent the
	// oldest entries go first. 0 selects 64 MiB.
	JournalBytes int64
	// MaxFaultRules bounds the fault rules of one session (0 selects 1000), and
	// MaxFaultRuleBytes the size of one rule's body, raw body, headers and matchers
	// (0 selects 256 KiB).
	MaxFaultRules     int
	MaxFaultRuleBytes int
	// StateBytes bounds what all sessions may add to the seeded state: the numbers they
	// changed or created and their fault rules (0 selects 32 MiB). A write past it is
	// refused with 507 state_full.
	StateBytes int64
	// InflightBytes bounds what requests at work hold at once, across all requests (0
	// selects 16 MiB): bodies over 16 KiB, the trees JSON bodies decode to, answers
	// being streamed. A request waits for room (at most 10 s, then 503). Requests
	// sleeping in a fault rule's delay hold as much again apart, a quarter of it per
	// session. A JSON body decoding to more than a quarter of it is refused (413).
	InflightBytes int64
	// WriteTimeout bounds the writing of one answer, counted from when it starts (a
	// fault's delay comes before and does not count); a client that does not read is
	// cut off. 0 means no bound (the http.Server's own WriteTimeout, if any, applies).
	WriteTimeout time.Duration
	// AdminHosts, when not nil, are the only Host names (without port) the admin
	// routes answer; others get 403. Serving on a loopback address, verbex-mock sets
	// it to the loopback names so that a web page cannot reach the admin routes
	// through DNS rebinding. The Verbex API itself answers any Host, as the real
	// service does.
	AdminHosts []string
	// MaxSessions bounds how many named sessions are kept; beyond it the least
	// recently used is dropped. 0 selects 1000.
	MaxSessions int
	// KeepAliveAfterError keeps the connection open after Starlette's plain-text 500
	// (an answer that cannot be encoded, or a fault rule answering the same). By default
	// the fake closes it after that answer, without "Connection: close", as uvicorn does
	// after an unhandled error; set this for clients that cannot cope.
	KeepAliveAfterError bool
	// SelfCheck validates every response against the document at run time and logs
	// the ones that are off it (a warning, with what is wrong). Answers that are off
	// it on purpose (the framework's 400 and plain-text 500 the real service sends
	// too, the 413, off_document faults) are logged at debug level only.
	SelfCheck bool
	// SelfCheckFailed, with SelfCheck, is called for each answer that is off the
	// document when it should not be. mocktest uses it to fail the test.
	SelfCheckFailed func(SelfCheckFailure)
	// Logger receives the fake's logs; nil discards them. Requests are logged at debug
	// level, never with bodies or secrets.
	Logger *slog.Logger
}

// SelfCheckFailure is an answer the fake sent off the document by mistake.
type SelfCheckFailure struct {
	Method, Path string
	Status       int
	Session      string
	Problems     []string
}

func (o Options) withDefaults() (Options, error) {
	if o.Spec == nil {
		o.Spec, o.SpecName = fixtures.OpenAPI(), fixtures.OpenAPIName
	}
	if o.SpecName == "" {
		o.SpecName = "spec"
	}
	if o.Fixtures == nil {
		o.Fixtures, o.FixturesName = fixtures.PhoneNumbers(), fixtures.PhoneNumbersName
	}
	if o.FixturesName == "" {
		o.FixturesName = "fixtures"
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.JournalSize == 0 {
		o.JournalSize = DefaultJournalSize
	}
	if o.JournalBytes == 0 {
		o.JournalBytes = DefaultJournalBytes
	}
	if o.StateBytes == 0 {
		o.StateBytes = DefaultStateBytes
	}
	if o.InflightBytes == 0 {
		o.InflightBytes = DefaultInflightBytes
	}
	if o.InflightBytes < o.MaxBodyBytes {
		o.InflightBytes = o.MaxBodyBytes // one largest body must always fit
	}
	if o.MaxFaultRules == 0 {
		o.MaxFaultRules = DefaultMaxFaultRules
	}
	if o.MaxFaultRuleBytes == 0 {
		o.MaxFaultRuleBytes = DefaultMaxFaultRuleBytes
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Generate < 0 || o.Generate > MaxGenerate:
		return o, fmt.Errorf("mock: Generate is %d; want 0 to %d", o.Generate, MaxGenerate)
	case o.JournalBytes < 0 || o.MaxFaultRules < 0 || o.MaxFaultRuleBytes < 0 || o.WriteTimeout < 0 || o.StateBytes < 0 || o.InflightBytes < 0:
		return o, fmt.Errorf("mock: JournalBytes, StateBytes, InflightBytes, MaxFaultRules, MaxFaultRuleBytes and WriteTimeout must not be negative")
	case o.MaxBodyBytes < 0:
		return o, fmt.Errorf("mock: MaxBodyBytes is %d; want more than 0", o.MaxBodyBytes)
	case o.JournalSize < -1:
		return o, fmt.Errorf("mock: JournalSize is %d; want -1 (off), 0 (default) or more", o.JournalSize)
	case o.MaxSessions < 0:
		return o, fmt.Errorf("mock: MaxSessions is %d; want 0 or more", o.MaxSessions)
	}
	if o.JournalSize == -1 {
		o.JournalSize = 0
	}
	return o, nil
}
