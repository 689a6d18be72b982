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
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/verbex/verbex-mock/contract/drift"
	"github.com/verbex/verbex-mock/mock"
)

const proxySynopsis = "proxy --upstream URL [flags]"

const proxyUsage = `
The application under test points at the proxy. Every request is forwarded to the
upstream unchanged and its answer returned unchanged, while the fake answers the same
request from the same state; differences are drift, grouped by rule at
GET /__admin/drift, journaled at GET /__admin/requests and logged at warn level.
The proxy's own requests are one learning read (PATCH {}) per number before its first
exchange (none with --no-learn). A refused, timed-out or reset upstream drops the
client's connection, as it would have without the proxy, and is not drift.

On SIGINT or SIGTERM it writes the JSON report (to --json, or stdout), the drift by
rule and "N exchanges, N drifted" (stderr), and --record's fixtures. Exit codes: 0,
1 with --fail-on-drift when anything drifted, 2 a usage error.
`

// proxyConfig is everything proxy needs, read from flags and environment.
type proxyConfig struct {
	cfg             drift.ProxyConfig
	addr            string
	specFile        string
	recordFile      string
	jsonFile        string
	failOnDrift     bool
	logFormat       string
	logLevel        slog.Level
	shutdownTimeout time.Duration
	readTimeout     time.Duration
	idleTimeout     time.Duration
	maxConns        int
}

func loadProxyConfig(args []string, getenv func(string) string, stdout io.Writer) (proxyConfig, error) {
	var c proxyConfig
	var timeout, maxBody, maxAnswer, maxNumbers, journal, level, shutdown, readTimeout, idleTimeout, maxConns string
	fs := newFlagSet("proxy")
	fs.string(&c.cfg.Upstream, "upstream", "VERBEX_MOCK_PROXY_UPSTREAM", "", "base URL of the service to forward to, e.g. a staging deployment (required)")
	fs.string(&c.addr, "addr", "VERBEX_MOCK_PROXY_ADDR", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.string(&c.cfg.Token, "token", "VERBEX_API_KEY", "", "API key for the learning reads (without it they carry the application's Authorization); never added to the application's requests, stored or logged")
	fs.boolean(&c.cfg.NoLearn, "no-learn", "VERBEX_MOCK_PROXY_NO_LEARN", false, "send nothing of the proxy's own: the model learns a number from its first 200 answer")
	fs.boolean(&c.cfg.Strict, "strict", "VERBEX_MOCK_PROXY_STRICT", false, "also compare what the document leaves to the implementation (404/500 error texts, Location host, key order)")
	fs.string(&c.recordFile, "record", "VERBEX_MOCK_PROXY_RECORD", "", "on exit, write the numbers seen as a fixtures file (serve --fixtures), credentials replaced by placeholders")
	fs.string(&c.jsonFile, "json", "VERBEX_MOCK_PROXY_JSON", "", "on exit, write the JSON drift report to this file instead of stdout")
	fs.boolean(&c.failOnDrift, "fail-on-drift", "VERBEX_MOCK_PROXY_FAIL_ON_DRIFT", false, "exit 1 when any exchange drifted")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document instead of the embedded one")
	fs.string(&timeout, "timeout", "VERBEX_MOCK_PROXY_TIMEOUT", "30s", "limit for one upstream exchange, answer included")
	fs.string(&maxBody, "max-body-bytes", "VERBEX_MOCK_MAX_BODY_BYTES", strconv.Itoa(mock.DefaultMaxBodyBytes), "largest request body forwarded; larger ones get 413 and are not forwarded")
	fs.string(&maxAnswer, "max-answer-bytes", "VERBEX_MOCK_PROXY_MAX_ANSWER_BYTES", strconv.Itoa(drift.DefaultMaxAnswerBytes), "largest upstream answer compared; larger ones are passed on unchanged, uncompared")
	fs.string(&maxNumbers, "max-numbers", "VERBEX_MOCK_PROXY_MAX_NUMBERS", strconv.Itoa(drift.DefaultMaxNumbers), "numbers the model follows (and --record keeps); the least recently used is forgotten")
	fs.string(&journal, "journal-size", "VERBEX_MOCK_JOURNAL_SIZE", strconv.Itoa(drift.DefaultJournalSize), "exchanges kept at /__admin/requests (0 turns it off)")
	fs.string(&c.logFormat, "log-format", "VERBEX_MOCK_LOG_FORMAT", "text", "log format: text or json")
	fs.string(&level, "log-level", "VERBEX_MOCK_LOG_LEVEL", "info", "log level: debug, info, warn (each drift) or error")
	fs.string(&shutdown, "shutdown-timeout", "VERBEX_MOCK_SHUTDOWN_TIMEOUT", "10s", "how long in-flight exchanges may finish after SIGINT/SIGTERM")
	fs.string(&readTimeout, "read-timeout", "VERBEX_MOCK_READ_TIMEOUT", "30s", "time to read a whole request, body included")
	fs.string(&idleTimeout, "idle-timeout", "VERBEX_MOCK_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open")
	fs.string(&maxConns, "max-conns", "VERBEX_MOCK_MAX_CONNS", "1024", "open connections; at the cap the oldest idle one is closed to make room")
	if err := fs.parse(args, getenv, stdout, proxySynopsis); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, proxyUsage)
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, &usageError{msg: fmt.Sprintf("proxy takes no arguments, got %q", fs.Arg(0)), hint: "verbex-mock proxy --help"}
	}
	if c.cfg.Upstream == "" {
		return c, badFlag(fs, "upstream", "required: the base URL of the service to forward to")
	}
	if err := checkURLFlag(fs, "upstream", c.cfg.Upstream); err != nil {
		return c, err
	}
	var err error
	for _, d := range []struct {
		name, value string
		into        *time.Duration
	}{{"timeout", timeout, &c.cfg.Timeout}, {"shutdown-timeout", shutdown, &c.shutdownTimeout}, {"read-timeout", readTimeout, &c.readTimeout}, {"idle-timeout", idleTimeout, &c.idleTimeout}} {
		if *d.into, err = time.ParseDuration(d.value); err != nil || *d.into <= 0 {
			return c, badFlag(fs, d.name, "%q is not a positive duration such as 10s", d.value)
		}
	}
	for _, b := range []struct {
		name, value string
		into        *int64
	}{{"max-body-bytes", maxBody, &c.cfg.MaxBodyBytes}, {"max-answer-bytes", maxAnswer, &c.cfg.MaxAnswerBytes}} {
		if *b.into, err = strconv.ParseInt(b.value, 10, 64); err != nil || *b.into <= 0 {
			return c, badFlag(fs, b.name, "%q is not a positive byte count", b.value)
		}
	}
	if c.cfg.MaxNumbers, err = strconv.Atoi(maxNumbers); err != nil || c.cfg.MaxNumbers <= 0 {
		return c, badFlag(fs, "max-numbers", "%q is not a positive count", maxNumbers)
	}
	if c.cfg.JournalSize, err = strconv.Atoi(journal); err != nil || c.cfg.JournalSize < 0 {
		return c, badFlag(fs, "journal-size", "%q is not a count (0 or more)", journal)
	}
	if c.cfg.JournalSize == 0 {
		c.cfg.JournalSize = -1
	}
	if c.maxConns, err = strconv.Atoi(maxConns); err != nil || c.maxConns < 2 {
		return c, badFlag(fs, "max-conns", "%q is not a count (2 or more)", maxConns)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, badFlag(fs, "log-format", "%q: want text or json", c.logFormat)
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return c, badFlag(fs, "log-level", "%q: want debug, info, warn or error", level)
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return c, badFlag(fs, "addr", "%q is not host:port", c.addr)
	}
	c.cfg.Record = c.recordFile != ""
	c.cfg.AdminHosts = adminHosts(c.addr, nil)
	c.cfg.UserAgent = drift.DefaultProxyUserAgent + "/" + versionString()
	return c, nil
}

// checkURLFlag is checkTarget for another flag's name.
func checkURLFlag(fs *flagSet, name, value string) error {
	err := checkTarget(fs, value)
	var ue *usageError
	if errors.As(err, &ue) {
		// checkTarget speaks of --target; say the flag the user typed.
		ue.msg = "--" + name + fs.envOf(name, " (%s)") + ue.msg[len("--target"+fs.envOf("target", " (%s)")):]
	}
	return err
}

func proxyCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c, err := loadProxyConfig(args, getenv, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.logFormat, c.logLevel)
	c.cfg.Logger = log
	if c.specFile != "" {
		if c.cfg.Spec, err = os.ReadFile(c.specFile); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
	}
	// The model: the fake in-process on the same document, without numbers of its own,
	// so that it knows only what it learns from the upstream.
	model, err := mock.New(mock.Options{Spec: c.cfg.Spec, Fixtures: []byte("phone_numbers: []\n"), JournalSize: -1, MaxBodyBytes: c.cfg.MaxBodyBytes})
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("the fake cannot serve this document as the model: %w", err)}
	}
	c.cfg.Oracle = model
	p, err := drift.NewProxy(c.cfg)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if c.recordFile != "" {
		// Fail now, not after a night of traffic.
		if err := checkWritable(c.recordFile); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("--record: %w", err)}
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("listen on %s: %w", c.addr, err)}
	}
	if err := proxyOn(ctx, ln, p, c, log); err != nil {
		return err
	}
	return proxyReport(p, c, stdout, stderr)
}

// proxyOn serves until ctx ends or SIGINT/SIGTERM arrives, then lets in-flight
// exchanges finish, so that the report counts them.
func proxyOn(ctx context.Context, ln net.Listener, p *drift.Proxy, c proxyConfig, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	limited := limitConns(ln, c.maxConns)
	hs := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: min(10*time.Second, c.readTimeout),
		ReadTimeout:       c.readTimeout,
		// An answer waits for the upstream: its timeout, then the write.
		WriteTimeout:   c.cfg.Timeout + 30*time.Second,
		IdleTimeout:    c.idleTimeout,
		ConnState:      limited.track,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	mode := "learning reads"
	if c.cfg.NoLearn {
		mode = "no learning reads"
	}
	log.Info("verbex-mock listening", "url", "http://"+ln.Addr().String(), "mode", "proxy", "upstream", p.Report().Upstream,
		"drift", "http://"+ln.Addr().String()+"/__admin/drift", "learning", mode, "version", versionString())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(limited) }()
	select {
	case err := <-errc:
		return fmt.Errorf("proxy: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("closing the connections still open at the grace deadline", "open", limited.open(), "error", err)
		_ = hs.Close()
	}
	return nil
}

// proxyReport writes what the proxy saw: the JSON report, the fixtures, the drift by
// rule and the summary line last.
func proxyReport(p *drift.Proxy, c proxyConfig, stdout, stderr io.Writer) error {
	rep := p.Report()
	if c.jsonFile != "" {
		if err := writeFileAtomic(c.jsonFile, rep.WriteJSON); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("--json: %w", err)}
		}
	} else if err := rep.WriteJSON(stdout); err != nil {
		return err
	}
	if c.recordFile != "" {
		if err := writeFileAtomic(c.recordFile, p.WriteFixtures); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("--record: %w", err)}
		}
	}
	if err := rep.WriteText(stderr); err != nil {
		return err
	}
	if c.failOnDrift && rep.Any() {
		return &exitError{code: exitFailure, err: errSilent}
	}
	return nil
}

func checkWritable(name string) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".verbex-mock-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeFileAtomic writes to a temporary file beside name and renames it, so that a
// reader never sees half a report (or half the fixtures a fake is about to load).
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".verbex-mock-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
