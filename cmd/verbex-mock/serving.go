package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// listen opens the address serve and proxy listen on.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("listen on %s: %w", addr, err)}
	}
	return ln, nil
}

// httpLimits are the connection limits serve and proxy share.
type httpLimits struct {
	readTimeout  time.Duration
	writeTimeout time.Duration // 0: none (the fake bounds each answer itself)
	idleTimeout  time.Duration
	maxConns     int
	grace        time.Duration // for what is in flight after SIGINT/SIGTERM
}

// serveUntilSignal serves h on ln until ctx ends or SIGINT/SIGTERM arrives, then lets
// what is in flight finish within the grace. It logs "verbex-mock listening" first,
// with the URL and the attributes started gives for it; draining, when not nil, runs as the shutdown
// begins (the fake ends its fault delays there).
func serveUntilSignal(ctx context.Context, ln net.Listener, h http.Handler, lim httpLimits, log *slog.Logger, started func(url string) []any, draining func()) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	limited := limitConns(ln, lim.maxConns)
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, lim.readTimeout),
		ReadTimeout:       lim.readTimeout,
		WriteTimeout:      lim.writeTimeout,
		IdleTimeout:       lim.idleTimeout,
		ConnState:         limited.track,
		ConnContext:       limited.connContext,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := openableURL(ln.Addr())
	log.Info("verbex-mock listening", append([]any{"url", url, "addr", ln.Addr().String()}, started(url)...)...)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(limited) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", lim.grace)
	if draining != nil {
		draining()
	}
	sctx, cancel := context.WithTimeout(context.Background(), lim.grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// Only a client that does not read its answer can hold us this long.
		log.Warn("closing the connections still open at the grace deadline", "open", limited.open(), "error", err)
		_ = hs.Close()
	}
	log.Info("stopped")
	return nil
}

// openableURL is the listener's address as a URL a person can open: a wildcard
// address (0.0.0.0, [::]) is this machine, reached at 127.0.0.1.
func openableURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newLogger is the one logger of serve and proxy. In JSON, a duration is a number of
// milliseconds under a name that says so (grace → grace_ms); text keeps Go's
// readable form (grace=10s).
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		opts.ReplaceAttr = durationsInMilliseconds
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationsInMilliseconds is a ReplaceAttr: a time.Duration attribute x becomes x_ms,
// a number, so that log tools can compare and sum it.
func durationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	ms := float64(a.Value.Duration()) / float64(time.Millisecond)
	ms = math.Round(ms*1000) / 1000 // to the microsecond: nanosecond digits are noise
	return slog.Float64(a.Key+"_ms", ms)
}
