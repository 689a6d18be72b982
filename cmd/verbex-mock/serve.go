package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
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
	var seed, generate, journal, maxBody, maxSessions, level, shutdown string
	var readTimeout, writeTimeout, idleTimeout, maxConns, journalBytes, maxFaultRules, allowedHosts, stateBytes, inflightBytes string
	fs := newFlagSet("serve")
	fs.string(&c.addr, "addr", "VERBEX_MOCK_ADDR", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document to serve instead of the embedded one")
	fs.string(&c.fixturesFile, "fixtures", "VERBEX_MOCK_FIXTURES", "", "seed phone numbers (JSON or YAML) instead of the embedded ones")
	fs.string(&c.faultsFile, "faults", "VERBEX_MOCK_FAULTS", "", "fault rules (JSON or YAML) every session starts with")
	fs.string(&seed, "seed", "VERBEX_MOCK_SEED", strconv.Itoa(mock.DefaultSeed), "seed for --generate and fault probabilities")
	fs.string(&generate, "generate", "VERBEX_MOCK_GENERATE", "0", "add N phone numbers generated from --seed")
	fs.boolean(&c.selfCheck, "self-check", "VERBEX_MOCK_SELF_CHECK", false, "validate every response against the document and log those off it")
	fs.string(&journal, "journal-size", "VERBEX_MOCK_JOURNAL_SIZE", strconv.Itoa(mock.DefaultJournalSize), "requests kept per session in the journal (0 turns it off)")
	fs.string(&maxBody, "max-body-bytes", "VERBEX_MOCK_MAX_BODY_BYTES", strconv.Itoa(mock.DefaultMaxBodyBytes), "largest request body; larger ones get 413")
	fs.string(&maxSessions, "max-sessions", "VERBEX_MOCK_MAX_SESSIONS", strconv.Itoa(mock.DefaultMaxSessions), "named sessions kept before the least recently used is dropped")
	fs.string(&c.logFormat, "log-format", "VERBEX_MOCK_LOG_FORMAT", "text", "log format: text or json")
	fs.string(&level, "log-level", "VERBEX_MOCK_LOG_LEVEL", "info", "log level: debug (one line per request), info, warn or error")
	fs.string(&shutdown, "shutdown-timeout", "VERBEX_MOCK_SHUTDOWN_TIMEOUT", "10s", "how long in-flight requests may finish after SIGINT/SIGTERM (keep it under the container's stop timeout)")
	fs.string(&readTimeout, "read-timeout", "VERBEX_MOCK_READ_TIMEOUT", "30s", "time to read a whole request, body included")
	fs.string(&writeTimeout, "write-timeout", "VERBEX_MOCK_WRITE_TIMEOUT", "30s", "time to write one answer, counted after any fault delay")
	fs.string(&idleTimeout, "idle-timeout", "VERBEX_MOCK_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open")
	fs.string(&maxConns, "max-conns", "VERBEX_MOCK_MAX_CONNS", "1024", "open connections; at the cap the oldest idle one is closed to make room")
	fs.string(&journalBytes, "journal-bytes", "VERBEX_MOCK_JOURNAL_BYTES", strconv.Itoa(mock.DefaultJournalBytes), "bytes the journal of all sessions may hold; the oldest entries go first")
	fs.string(&maxFaultRules, "max-fault-rules", "VERBEX_MOCK_MAX_FAULT_RULES", strconv.Itoa(mock.DefaultMaxFaultRules), "fault rules one session may hold")
	fs.string(&stateBytes, "state-bytes", "VERBEX_MOCK_STATE_BYTES", strconv.Itoa(mock.DefaultStateBytes), "bytes all sessions' changed numbers and fault rules may hold; writes past it get 507")
	fs.string(&inflightBytes, "inflight-bytes", "VERBEX_MOCK_INFLIGHT_BYTES", strconv.Itoa(mock.DefaultInflightBytes), "bytes of request bodies held at once; requests wait for room")
	fs.string(&allowedHosts, "allowed-hosts", "VERBEX_MOCK_ALLOWED_HOSTS", "", "comma-separated Host names the admin routes answer besides the loopback ones (checked only when listening on loopback)")
	if err := fs.parse(args, getenv, stdout, serveSynopsis); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, &usageError{msg: fmt.Sprintf("serve takes no arguments, got %q", fs.Arg(0)), hint: "verbex-mock serve --help"}
	}
	var err error
	if c.seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
		return c, badFlag(fs, "seed", "%q is not a non-negative integer", seed)
	}
	if c.generate, err = strconv.Atoi(generate); err != nil || c.generate < 0 {
		return c, badFlag(fs, "generate", "%q is not a count (0 or more)", generate)
	}
	if c.journalSize, err = strconv.Atoi(journal); err != nil || c.journalSize < 0 {
		return c, badFlag(fs, "journal-size", "%q is not a count (0 or more)", journal)
	}
	if c.maxBodyBytes, err = strconv.ParseInt(maxBody, 10, 64); err != nil || c.maxBodyBytes <= 0 {
		return c, badFlag(fs, "max-body-bytes", "%q is not a positive byte count", maxBody)
	}
	if c.maxSessions, err = strconv.Atoi(maxSessions); err != nil || c.maxSessions <= 0 {
		return c, badFlag(fs, "max-sessions", "%q is not a positive count", maxSessions)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, badFlag(fs, "log-format", "%q: want text or json", c.logFormat)
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return c, badFlag(fs, "log-level", "%q: want debug, info, warn or error", level)
	}
	for _, d := range []struct {
		name, value string
		into        *time.Duration
	}{
		{"shutdown-timeout", shutdown, &c.shutdownTimeout}, {"read-timeout", readTimeout, &c.readTimeout},
		{"write-timeout", writeTimeout, &c.writeTimeout}, {"idle-timeout", idleTimeout, &c.idleTimeout},
	} {
		if *d.into, err = time.ParseDuration(d.value); err != nil || *d.into <= 0 {
			return c, badFlag(fs, d.name, "%q is not a positive duration such as 10s", d.value)
		}
	}
	if c.maxConns, err = strconv.Atoi(maxConns); err != nil || c.maxConns < 2 {
		return c, badFlag(fs, "max-conns", "%q is not a count (2 or more)", maxConns)
	}
	for _, b := range []struct {
		name, value string
		into        *int64
	}{{"journal-bytes", journalBytes, &c.journalBytes}, {"state-bytes", stateBytes, &c.stateBytes}, {"inflight-bytes", inflightBytes, &c.inflightBytes}} {
		if *b.into, err = strconv.ParseInt(b.value, 10, 64); err != nil || *b.into <= 0 {
			return c, badFlag(fs, b.name, "%q is not a positive byte count", b.value)
		}
	}
	if c.maxFaultRules, err = strconv.Atoi(maxFaultRules); err != nil || c.maxFaultRules <= 0 {
		return c, badFlag(fs, "max-fault-rules", "%q is not a positive count", maxFaultRules)
	}
	if c.generate > mock.MaxGenerate {
		return c, badFlag(fs, "generate", "%d is more than %d (that many start in about a second)", c.generate, mock.MaxGenerate)
	}
	for _, h := range strings.Split(allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.allowedHosts = append(c.allowedHosts, h)
		}
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return c, badFlag(fs, "addr", "%q is not host:port", c.addr)
	}
	return c, nil
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// options turns the configuration into mock.Options, reading the files it names.
func (c serveConfig) options(log *slog.Logger) (mock.Options, error) {
	o := mock.Options{
		Seed: c.seed, Generate: c.generate, SelfCheck: c.selfCheck,
		MaxBodyBytes: c.maxBodyBytes, MaxSessions: c.maxSessions, Logger: log,
		JournalSize: c.journalSize, JournalBytes: c.journalBytes, MaxFaultRules: c.maxFaultRules,
		WriteTimeout: c.writeTimeout, AdminHosts: adminHosts(c.addr, c.allowedHosts),
		StateBytes: c.stateBytes, InflightBytes: c.inflightBytes,
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
		b, err := read(c.faultsFile)
		if err != nil {
			return o, err
		}
		if o.Faults, err = mock.ParseFaultFile(c.faultsFile, b); err != nil {
			return o, &exitError{code: exitUsage, err: err} // each line names the file
		}
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
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("listen on %s: %w", c.addr, err)}
	}
	return serveOn(ctx, ln, srv, c, log)
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

// serveOn serves until ctx ends or SIGINT/SIGTERM arrives, then lets in-flight
// requests finish.
func serveOn(ctx context.Context, ln net.Listener, srv *mock.Server, c serveConfig, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	limited := limitConns(ln, c.maxConns)
	ln = limited
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: min(10*time.Second, c.readTimeout),
		ReadTimeout:       c.readTimeout,
		IdleTimeout:       c.idleTimeout,
		ConnState:         limited.track,
		ConnContext:       limited.connContext,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	grace := c.shutdownTimeout
	ids := srv.SeededIDs()
	attrs := []any{"url", "http://" + ln.Addr().String(), "ui", "http://" + ln.Addr().String() + ui.Path, "version", versionString(), "spec", srv.Document().Title + " " + srv.Document().Version}
	for _, p := range srv.Document().ProviderNames() {
		attrs = append(attrs, p, idsSummary(ids[p]))
	}
	ceiling := memoryCeiling(c)
	if os.Getenv("GOMEMLIMIT") == "" {
		// The budgets bound what is live; a soft limit keeps the collector from
		// letting garbage double it.
		debug.SetMemoryLimit(ceiling)
	}
	attrs = append(attrs, "memory_ceiling_mb", ceiling>>20)
	log.Info("verbex-mock listening", attrs...)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	srv.Drain() // fault delays end now: what is in flight is answered at once
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// Only a client that does not read its answer can hold us this long.
		log.Warn("closing the connections still open at the grace deadline", "open", limited.open(), "error", err)
		_ = hs.Close()
	}
	log.Info("stopped")
	return nil
}

// Per-connection cost at most: read and write buffers, the goroutine, a request's
// headers (MaxHeaderBytes).
const (
	maxHeaderBytes = 32 << 10
	connCost       = maxHeaderBytes + 32<<10 // headers, a small body (uncounted in flight), buffers
	baseCost       = 48 << 20                // the binary, the compiled document, the seeded numbers
)

// memoryCeiling is what the limits allow the process to hold: every budget spent at
// once, every connection open with a full header block.
func memoryCeiling(c serveConfig) int64 {
	return baseCost + c.journalBytes + c.stateBytes + c.inflightBytes + int64(c.maxConns)*connCost
}

// idsSummary lists a few ids for the start log; past that, how many there are.
func idsSummary(ids []string) any {
	const few = 3
	if len(ids) <= few {
		return ids
	}
	return fmt.Sprintf("%d numbers (%s, …)", len(ids), strings.Join(ids[:few], ", "))
}
