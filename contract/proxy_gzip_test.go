package contract_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/contract/drift"
)

// TestProxyComparesGzipDecoded: an upstream that compresses for a client that asked
// for gzip is no drift: the proxy compares the decoded body, and the comparison of
// Content-Encoding and Content-Length (judge.Compare) does not see the coding the
// client asked for.
func TestProxyComparesGzipDecoded(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := through(fake, r, readAll(r))
		for k, v := range a.header {
			w.Header()[k] = v
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(a.body) > 0 {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			_, _ = zw.Write(a.body)
			_ = zw.Close()
			a.body = z.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(up.Close)
	pr := startProxy(t, up.URL, drift.ProxyConfig{})
	reqs := contract.GeneratedRequests(3, 60, firstIDs(fake))
	for _, g := range reqs {
		send(t, pr.url, g, http.Header{"Accept-Encoding": {"gzip"}})
	}
	rep := pr.proxy.Report()
	if rep.Drifted != 0 || rep.Equal < len(reqs)/2 {
		var out bytes.Buffer
		_ = rep.WriteText(&out)
		t.Fatalf("%d requests: %s\n%s", len(reqs), rep.Summary(), out.String())
	}
}
