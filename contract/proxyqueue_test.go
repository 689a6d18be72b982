package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/contract/drift"
)

// The proxy's queue is bounded: against an upstream that never answers, a body past
// the bytes it may hold and an exchange past the count that may wait get an honest
// 503 proxy_busy at once, and clients that leave while they wait their number's turn
// leave the queue (nothing of theirs is forwarded).
func TestProxyQueueIsBounded(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	release := make(chan struct{})
	got := make(chan struct{}, 16)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		got <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(up.Close)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	pr := startProxy(t, up.URL, drift.ProxyConfig{NoLearn: true, MaxQueueBytes: 1 << 20, MaxQueue: 4})
	path := pr.url + "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901"
	patch := func(ctx context.Context, size int) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, path, bytes.NewReader(bytes.Repeat([]byte(" "), size)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After") + " " + string(b), nil
	}
	first := make(chan int, 1)
	go func() { status, _, _ := patch(context.Background(), 256<<10); first <- status }()
	<-got // the first exchange holds the number, waiting on the upstream
	quick, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if status, body, err := patch(quick, 900<<10); status != http.StatusServiceUnavailable || !strings.Contains(body, "proxy_busy") || !strings.HasPrefix(body, "1 ") {
		t.Errorf("a body past the bytes the proxy holds: %d %q %v, want 503 proxy_busy with Retry-After", status, body, err)
	}
	leave, leaveNow := context.WithCancel(context.Background())
	var waiting sync.WaitGroup
	for range 4 {
		waiting.Add(1)
		go func() { // until it is queued: a probe below may hold the last place for a while
			defer waiting.Done()
			for status := http.StatusServiceUnavailable; status == http.StatusServiceUnavailable; status, _, _ = patch(leave, 1<<10) {
			}
		}()
	}
	full := false
	for deadline := time.Now().Add(5 * time.Second); !full && time.Now().Before(deadline); {
		try, stop := context.WithTimeout(context.Background(), 200*time.Millisecond)
		status, _, _ := patch(try, 1<<10) // one that queues leaves after 200 ms
		stop()
		full = status == http.StatusServiceUnavailable
	}
	if !full {
		t.Error("a fifth exchange waiting for one number was not refused")
	}
	leaveNow()
	waiting.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if notForwarded(t, pr.url) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the clients that left are not journaled as not forwarded")
		}
	}
	free()
	<-first
	if n := hits.Load(); n != 1 {
		t.Errorf("the upstream got %d exchanges; the clients that left were forwarded all the same", n)
	}
}

// notForwarded counts the proxy journal's exchanges whose client left while waiting.
func notForwarded(t testing.TB, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/__admin/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j struct {
		Requests []struct {
			Verdict, Reason string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range j.Requests {
		if e.Verdict == drift.VerdictNotForwarded && strings.Contains(e.Reason, "left") {
			n++
		}
	}
	return n
}
