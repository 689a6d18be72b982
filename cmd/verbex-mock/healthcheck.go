package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckCmd asks a running fake for /__admin/health: exit 0 when it answers
// {"status":"ok"}, 1 otherwise. It needs no shell or curl, so a distroless image's
// HEALTHCHECK can run it. Its errors are returned; only --help writes, to stdout.
func healthcheckCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	var addr string
	var timeout time.Duration
	fs := newFlagSet("healthcheck")
	fs.value(addrFlag(&addr), "addr", "VERBEX_MOCK_ADDR", "127.0.0.1:8080", "address of the fake (a 0.0.0.0 or empty host means this machine)")
	fs.value(durationFlag(&timeout), "timeout", "VERBEX_MOCK_HEALTHCHECK_TIMEOUT", "2s", "how long to wait for the answer")
	if err := fs.parse(args, getenv, stdout, "healthcheck [flags]"); err != nil { // --help prints here
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	host, port, _ := net.SplitHostPort(addr) // addrFlag checked it
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/__admin/health"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("unhealthy: %w", err)}
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Status != "ok" {
		return &exitError{code: exitFailure, err: fmt.Errorf("unhealthy: %s answered %d", url, resp.StatusCode)}
	}
	return nil
}
