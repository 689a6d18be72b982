package mock

import (
	"fmt"
	"log/slog"

	"github.com/verbex/verbex-mock/fixtures"
)

// Default limits.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultJournalSize  = 1000
	DefaultMaxSessions  = 1000
)

// Options configures a Server. The zero value serves the embedded document and
// fixtures.
type Options struct {
	// Spec is the OpenAPI document (YAML or JSON). Nil selects the embedded one.
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
	// MaxBodyBytes bounds a request body; larger ones get 413. 0 selects 1 MiB.
	MaxBodyBytes int64
	// JournalSize bounds each session's request journal. 0 selects 1000; -1 turns the
	// journal off.
	JournalSize int
	// MaxSessions bounds how many named sessions are kept; beyond it the least
	// recently used is dropped. 0 selects 1000.
	MaxSessions int
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
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Generate < 0:
		return o, fmt.Errorf("mock: Generate is %d; want 0 or more", o.Generate)
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
