package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/spec"
	"github.com/verbex/verbex-mock/mock/ui"
)

// serveConfig is everything serve needs, read from flags and environment.
type serveConfig struct {
	addr            string
	specFile        string
	fixturesFile    string
	faultsFile      string
	seed            uint64
	generate        int
	selfCheck       bool
	keepAlive500    bool
	journalSize     int
	maxBodyBytes    int64
	maxSessions     int
	logFormat       string
	logLevel        slog.Level
	shutdownTimeout time.Duration
	readTimeout     time.Duration
	writeTimeout    time.Duration
	idleTimeout     time.Duration
	maxConns        int
	journalBytes    int64
	maxFaultRules   int
	stateBytes      int64
	inflightBytes   int64
	allowedHosts    []string
}

const serveSynopsis = "serve [flags]"

// loadServeConfig is a pure function of the arguments and the environment.
func loadServeConfig(args []string, getenv func(string) string, stdout io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := newFlagSet("serve")
	c.register(fs)
	if err := fs.parse(args, getenv, stdout, serveSynopsis); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, &usageError{msg: fmt.Sprintf("serve takes no arguments, got %q", fs.Arg(0)), hint: "verbex-mock serve --help"}
	}
	if c.generate > mock.MaxGenerate {
		return c, badFlag(fs, "generate", "%d is more than %d (that many start in about a second)", c.generate, mock.MaxGenerate)
	}
	return c, nil
}

// register declares serve's flags, each checked as it is set (flagvalues.go).
func (c *serveConfig) register(fs *flagSet) {
	itoa := strconv.Itoa
	fs.value(addrFlag(&c.addr), "addr", "VERBEX_MOCK_ADDR", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document to serve instead of the embedded one")
	fs.string(&c.fixturesFile, "fixtures", "VERBEX_MOCK_FIXTURES", "", "seed phone numbers (JSON or YAML) instead of the embedded ones")
	fs.string(&c.faultsFile, "faults", "VERBEX_MOCK_FAULTS", "", "fault rules (JSON or YAML) every session starts with")
	fs.value(uintFlag(&c.seed, 0), "seed", "VERBEX_MOCK_SEED", itoa(mock.DefaultSeed), "seed for --generate and fault probabilities")
	fs.value(countFlag(&c.generate, 0), "generate", "VERBEX_MOCK_GENERATE", "0", "add N phone numbers generated from --seed")
	fs.boolean(&c.selfCheck, "self-check", "VERBEX_MOCK_SELF_CHECK", false, "validate every response against the document and log those off it")
	fs.boolean(&c.keepAlive500, "keep-after-error", "VERBEX_MOCK_KEEP_AFTER_ERROR", false, "keep the connection open after the plain-text 500 (uvicorn closes it after an unhandled error)")
	fs.value(countFlag(&c.journalSize, 0), "journal-size", "VERBEX_MOCK_JOURNAL_SIZE", itoa(mock.DefaultJournalSize), "requests kept per session in the journal (0 turns it off)")
	fs.value(sizeFlag(&c.maxBodyBytes), "max-body-bytes", "VERBEX_MOCK_MAX_BODY_BYTES", itoa(mock.DefaultMaxBodyBytes), "largest request body; larger ones get 413")
	fs.value(countFlag(&c.maxSessions, 1), "max-sessions", "VERBEX_MOCK_MAX_SESSIONS", itoa(mock.DefaultMaxSessions), "named sessions kept before the least recently used is dropped")
	registerLogFlags(fs, &c.logFormat, &c.logLevel, "log level: debug (one line per request), info, warn or error")
	fs.value(durationFlag(&c.shutdownTimeout), "shutdown-timeout", "VERBEX_MOCK_SHUTDOWN_TIMEOUT", "10s", "how long in-flight requests may finish after SIGINT/SIGTERM (keep it under the container's stop timeout)")
	fs.value(durationFlag(&c.readTimeout), "read-timeout", "VERBEX_MOCK_READ_TIMEOUT", "30s", "time to read a whole request, body included")
	fs.value(durationFlag(&c.writeTimeout), "write-timeout", "VERBEX_MOCK_WRITE_TIMEOUT", "30s", "time to write one answer, counted after any fault delay")
	fs.value(durationFlag(&c.idleTimeout), "idle-timeout", "VERBEX_MOCK_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open")
	fs.value(countFlag(&c.maxConns, 2), "max-conns", "VERBEX_MOCK_MAX_CONNS", "1024", "open connections; at the cap the oldest idle one is closed to make room")
	fs.value(sizeFlag(&c.journalBytes), "journal-bytes", "VERBEX_MOCK_JOURNAL_BYTES", itoa(mock.DefaultJournalBytes), "bytes the journal of all sessions may hold; the oldest entries go first")
	fs.value(countFlag(&c.maxFaultRules, 1), "max-fault-rules", "VERBEX_MOCK_MAX_FAULT_RULES", itoa(mock.DefaultMaxFaultRules), "fault rules one session may hold")
	fs.value(sizeFlag(&c.stateBytes), "state-bytes", "VERBEX_MOCK_STATE_BYTES", itoa(mock.DefaultStateBytes), "bytes all sessions' changed numbers and fault rules may hold; writes past it get 507")
	fs.value(sizeFlag(&c.inflightBytes), "inflight-bytes", "VERBEX_MOCK_INFLIGHT_BYTES", itoa(mock.DefaultInflightBytes), "bytes of large request bodies, their decoded trees and answers held at once (as much again for requests parked in a fault delay); requests wait for room")
	fs.value(csvFlag(&c.allowedHosts), "allowed-hosts", "VERBEX_MOCK_ALLOWED_HOSTS", "", "comma-separated Host names the admin routes answer besides the loopback ones (checked only when listening on loopback)")
}

// registerLogFlags declares --log-format and --log-level, which serve and proxy share.
func registerLogFlags(fs *flagSet, format *string, level *slog.Level, levelUsage string) {
	fs.value(enumFlag(format, "text", "json"), "log-format", "VERBEX_MOCK_LOG_FORMAT", "text", "log format: text or json")
	fs.value(levelFlag(level), "log-level", "VERBEX_MOCK_LOG_LEVEL", "info", levelUsage)
}

// limits are the connection limits of the serve loop.
func (c serveConfig) limits() httpLimits {
	return httpLimits{readTimeout: c.readTimeout, idleTimeout: c.idleTimeout, maxConns: c.maxConns, grace: c.shutdownTimeout}
}

// options turns the configuration into mock.Options, reading the files it names.
func (c serveConfig) options(log *slog.Logger) (mock.Options, error) {
	o := mock.Options{
		Seed: c.seed, Generate: c.generate, SelfCheck: c.selfCheck,
		MaxBodyBytes: c.maxBodyBytes, MaxSessions: c.maxSessions, Logger: log,
		JournalSize: c.journalSize, JournalBytes: c.journalBytes, MaxFaultRules: c.maxFaultRules,
		WriteTimeout: c.writeTimeout, AdminHosts: adminHosts(c.addr, c.allowedHosts),
		StateBytes: c.stateBytes, InflightBytes: c.inflightBytes, KeepAliveAfterError: c.keepAlive500,
	}
	if c.journalSize == 0 {
		o.JournalSize = -1
	}
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		return b, nil
	}
	var err error
	if c.specFile != "" {
		if o.Spec, err = read(c.specFile); err != nil {
			return o, err
		}
		o.SpecName = c.specFile
	}
	if c.fixturesFile != "" {
		if o.Fixtures, err = read(c.fixturesFile); err != nil {
			return o, err
		}
		o.FixturesName = c.fixturesFile
	}
	if c.faultsFile != "" {
		// New reports every bad rule, in form or against the document, at its line.
		if o.FaultFile, err = read(c.faultsFile); err != nil {
			return o, err
		}
		o.FaultFileName = c.faultsFile
	}
	return o, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c, err := loadServeConfig(args, getenv, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.logFormat, c.logLevel)
	opts, err := c.options(log)
	if err != nil {
		return err
	}
	srv, err := mock.New(opts)
	if err != nil {
		var fe *mock.FixtureError
		if errors.As(err, &fe) || errors.Is(err, spec.ErrInvalid) || errors.Is(err, mock.ErrFaultRule) {
			return &exitError{code: exitUsage, err: err}
		}
		return err
	}
	ln, err := listen(c.addr)
	if err != nil {
		return err
	}
	ceiling := tuneMemory(c)
	started := func(url string) []any { return startAttrs(url, srv, ceiling) }
	// Request lines are read as uvicorn reads them, before net/http sees them.
	return serveUntilSignal(ctx, mock.Listener(ln), srv, c.limits(), log, started, srv.Drain)
}

// adminHosts are the Host names the admin routes answer when the fake listens on a
// loopback address (where a developer's browser is the risk); nil elsewhere, so that
// any service alias works in a container.
func adminHosts(addr string, extra []string) []string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if ip != nil {
		hosts = append(hosts, ip.String())
	}
	return append(hosts, extra...)
}

// startAttrs are what the start log says besides the URL: the live page, the build,
// the document, a few seeded ids of each provider and the memory the limits allow.
func startAttrs(url string, srv *mock.Server, ceiling int64) []any {
	doc := srv.Document()
	attrs := []any{"ui", url + ui.Path, "version", versionString(), "spec", doc.Title + " " + doc.Version}
	ids := srv.SeededIDs()
	for _, p := range doc.ProviderNames() {
		attrs = append(attrs, p, idsSummary(ids[p]))
	}
	return append(attrs, "memory_ceiling_mb", ceiling>>20)
}

// tuneMemory sets the collector's pace to gcPercent, unless GOGC sets one, and
// makes the memory the limits allow the soft memory limit, unless GOMEMLIMIT sets
// one: the budgets bound what is live, and the limit keeps the collector from
// letting garbage outgrow it.
func tuneMemory(c serveConfig) int64 {
	ceiling := memoryCeiling(c)
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ceiling)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	return ceiling
}

// gcPercent is the collector's GOGC. A small request leaves some 3 KB of garbage,
// most of it net/http's, over a live heap of a few MB: at Go's default of 100 the
// collector runs every thousand requests or so, and under load it costs the fake a
// sixth of its throughput. At 200 it runs half as often for about 4 MB more RSS
// under load (.ci/loadbench measures both); the memory limit above still bounds
// the heap when the budgets fill.
const gcPercent = 200

// Per-connection cost at most: a request's headers (MaxHeaderBytes); what the fake
// does not count in flight, up to 16 KiB each: a small body, its decoded tree and an
// answer rendered in memory; the read and write buffers and the goroutine.
const (
	maxHeaderBytes = 32 << 10
	connCost       = maxHeaderBytes + 3*16<<10 + 16<<10
	baseCost       = 48 << 20 // the binary, the compiled document, the seeded numbers
)

// memoryCeiling is what the limits allow the process to hold: every budget spent at
// once (--inflight-bytes twice: requests at work, and requests parked in a fault
// rule's delay), every connection open with a full header block.
func memoryCeiling(c serveConfig) int64 {
	return baseCost + c.journalBytes + c.stateBytes + 2*c.inflightBytes + int64(c.maxConns)*connCost
}

// idsSummary lists a few ids for the start log; past that, how many there are.
func idsSummary(ids []string) any {
	const few = 3
	if len(ids) <= few {
		return ids
	}
	return fmt.Sprintf("%d numbers (%s, …)", len(ids), strings.Join(ids[:few], ", "))
}
