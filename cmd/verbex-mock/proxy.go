package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
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
rule and "N exchanges, N compared, N drifted" (stderr), and --record's fixtures.
Exit codes: 0; 1 with --fail-on-drift when anything drifted; 2 a usage error; 3
when exchanges came but the upstream answered none of them (nothing was compared),
with or without --fail-on-drift.
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
	fs := newFlagSet("proxy")
	c.register(fs)
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
	if c.cfg.JournalSize == 0 {
		c.cfg.JournalSize = -1
	}
	c.cfg.Record = c.recordFile != ""
	c.cfg.AdminHosts = adminHosts(c.addr, nil)
	c.cfg.UserAgent = drift.DefaultProxyUserAgent + "/" + versionString()
	return c, nil
}

// register declares proxy's flags, each checked as it is set (flagvalues.go).
func (c *proxyConfig) register(fs *flagSet) {
	itoa := strconv.Itoa
	fs.value(urlFlag(&c.cfg.Upstream), "upstream", "VERBEX_MOCK_PROXY_UPSTREAM", "", "base URL of the service to forward to, e.g. a staging deployment (required)")
	fs.value(addrFlag(&c.addr), "addr", "VERBEX_MOCK_PROXY_ADDR", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.string(&c.cfg.Token, "token", "VERBEX_API_KEY", "", "API key for the learning reads (without it they carry the application's Authorization); never added to the application's requests, stored or logged")
	fs.boolean(&c.cfg.NoLearn, "no-learn", "VERBEX_MOCK_PROXY_NO_LEARN", false, "send nothing of the proxy's own: the oracle learns a number from its first 200 answer")
	fs.boolean(&c.cfg.Strict, "strict", "VERBEX_MOCK_PROXY_STRICT", false, "also compare what the document leaves to the implementation (404/500 error texts, Location host, key order)")
	fs.string(&c.recordFile, "record", "VERBEX_MOCK_PROXY_RECORD", "", "on exit, write the numbers seen as a fixtures file (serve --fixtures), credentials replaced by placeholders")
	fs.string(&c.jsonFile, "json", "VERBEX_MOCK_PROXY_JSON", "", "on exit, write the JSON drift report to this file instead of stdout")
	fs.boolean(&c.failOnDrift, "fail-on-drift", "VERBEX_MOCK_PROXY_FAIL_ON_DRIFT", false, "exit 1 when any exchange drifted (exit 3, whatever this says, when the upstream answered no exchange)")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document instead of the embedded one")
	fs.value(durationFlag(&c.cfg.Timeout), "timeout", "VERBEX_MOCK_PROXY_TIMEOUT", "30s", "limit for one upstream exchange, answer included")
	fs.value(sizeFlag(&c.cfg.MaxBodyBytes), "max-body-bytes", "VERBEX_MOCK_MAX_BODY_BYTES", itoa(mock.DefaultMaxBodyBytes), "largest request body forwarded; larger ones get 413 and are not forwarded")
	fs.value(sizeFlag(&c.cfg.MaxAnswerBytes), "max-answer-bytes", "VERBEX_MOCK_PROXY_MAX_ANSWER_BYTES", itoa(drift.DefaultMaxAnswerBytes), "largest upstream answer compared; larger ones are passed on unchanged, uncompared")
	fs.value(countFlag(&c.cfg.MaxNumbers, 1), "max-numbers", "VERBEX_MOCK_PROXY_MAX_NUMBERS", itoa(drift.DefaultMaxNumbers), "numbers the oracle follows (and --record keeps); the least recently used is forgotten")
	fs.value(sizeFlag(&c.cfg.MaxQueueBytes), "max-queue-bytes", "VERBEX_MOCK_PROXY_MAX_QUEUE_BYTES", itoa(drift.DefaultMaxQueueBytes), "request bodies held at once, forwarded or waiting; past it 503 proxy_busy")
	fs.value(countFlag(&c.cfg.MaxQueue, 1), "max-queue", "VERBEX_MOCK_PROXY_MAX_QUEUE", itoa(drift.DefaultMaxQueue), "exchanges waiting for their number's turn; past it 503 proxy_busy")
	fs.value(countFlag(&c.cfg.JournalSize, 0), "journal-size", "VERBEX_MOCK_JOURNAL_SIZE", itoa(drift.DefaultJournalSize), "exchanges kept at /__admin/requests (0 turns it off)")
	registerLogFlags(fs, &c.logFormat, &c.logLevel, "log level: debug, info, warn (each drift) or error")
	fs.value(durationFlag(&c.shutdownTimeout), "shutdown-timeout", "VERBEX_MOCK_SHUTDOWN_TIMEOUT", "10s", "how long in-flight exchanges may finish after SIGINT/SIGTERM")
	fs.value(durationFlag(&c.readTimeout), "read-timeout", "VERBEX_MOCK_READ_TIMEOUT", "30s", "time to read a whole request, body included")
	fs.value(durationFlag(&c.idleTimeout), "idle-timeout", "VERBEX_MOCK_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open")
	fs.value(countFlag(&c.maxConns, 2), "max-conns", "VERBEX_MOCK_MAX_CONNS", "1024", "open connections; at the cap the oldest idle one is closed to make room")
}

// limits are the connection limits of the serve loop. An answer waits for the
// upstream: its timeout, then the write.
func (c proxyConfig) limits() httpLimits {
	return httpLimits{readTimeout: c.readTimeout, writeTimeout: c.cfg.Timeout + 30*time.Second, idleTimeout: c.idleTimeout, maxConns: c.maxConns, grace: c.shutdownTimeout}
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
	// The oracle: the fake in-process on the same document, without numbers of its own,
	// so that it knows only what it learns from the upstream.
	oracle, err := mock.New(mock.Options{Spec: c.cfg.Spec, Fixtures: []byte("phone_numbers: []\n"), JournalSize: -1, MaxBodyBytes: c.cfg.MaxBodyBytes})
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("the fake cannot serve this document as the oracle: %w", err)}
	}
	c.cfg.Oracle = oracle
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
	ln, err := listen(c.addr)
	if err != nil {
		return err
	}
	// The report counts what was in flight: the loop lets it finish first.
	if err := serveUntilSignal(ctx, ln, p, c.limits(), log, proxyStartAttrs(p, c), nil); err != nil {
		return err
	}
	return proxyReport(p, c, stdout, stderr)
}

// proxyStartAttrs are what the start log says besides the URL.
func proxyStartAttrs(p *drift.Proxy, c proxyConfig) func(url string) []any {
	mode := "learning reads"
	if c.cfg.NoLearn {
		mode = "no learning reads"
	}
	return func(url string) []any {
		return []any{"mode", "proxy", "upstream", p.Report().Upstream, "drift", url + "/__admin/drift", "learning", mode, "version", versionString()}
	}
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
	if rep.NeverAnswered() {
		return &exitError{code: exitUnreachable, err: errSilent}
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
// reader never sees half a report (or half the fixtures a fake is about to load). The
// file is 0644, not CreateTemp's 0600: the image's user, or a teammate, serves it.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".verbex-mock-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
