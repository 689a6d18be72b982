package mock

import (
	"bytes"
	"net/http"
	"testing"
)

// discardWriter is a ResponseWriter that keeps only the status, reusing its header map.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// rewindBody is a request body that can be replayed without allocating.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// BenchmarkHandler measures the fake's handler on its four request paths (no network).
func BenchmarkHandler(b *testing.B) {
	cases := []struct {
		name, method, id, body string
		status                 int
	}{
		{"valid", http.MethodPatch, sipID, `{"friendly_name":"bench"}`, 200},
		{"invalid_422", http.MethodPatch, sipID, `{"friendly_name":123}`, 422},
		{"unknown_404", http.MethodPatch, unknown, `{"friendly_name":"bench"}`, 404},
		{"method_405", http.MethodGet, sipID, ``, 405},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := newServer(b, Options{})
			body := &rewindBody{}
			r, _ := http.NewRequest(c.method, "http://verbex-mock/v1/phone-numbers/"+c.id, body)
			r.Header.Set("Content-Type", "application/json")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				body.Reset([]byte(c.body))
				clear(w.h)
				s.ServeHTTP(w, r)
			}
			if w.status != c.status {
				b.Fatalf("status %d, want %d", w.status, c.status)
			}
		})
	}
}

// A session at its journal cap drops an entry for each it adds, and the new entry
// takes the dropped one's buffer: a journaled request allocates no more than one
// with the journal off.
func TestJournalAtCapAllocatesNothing(t *testing.T) { // not parallel: AllocsPerRun
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop pooled requests, and their buffers, at random")
	}
	allocs := func(opts Options) float64 {
		s := newServer(t, opts)
		body := &rewindBody{}
		r, _ := http.NewRequest(http.MethodPatch, "http://verbex-mock/v1/phone-numbers/"+sipID, body)
		r.Header.Set("Content-Type", "application/json")
		w := &discardWriter{h: http.Header{}}
		run := func() {
			body.Reset([]byte(`{"friendly_name":"cap"}`))
			clear(w.h)
			s.ServeHTTP(w, r)
		}
		for range 20 { // past the cap
			run()
		}
		if w.status != http.StatusOK {
			t.Fatalf("status %d", w.status)
		}
		return testing.AllocsPerRun(200, run)
	}
	on, off := allocs(Options{JournalSize: 10}), allocs(Options{JournalSize: -1})
	if on > off {
		t.Errorf("a journaled request allocates %v times, one with the journal off %v", on, off)
	}
}

// The same at the journal itself, where the race detector changes nothing: capture
// into the buffer the last add gave back, add, and nothing is allocated.
func TestJournalReusesDroppedBuffers(t *testing.T) { // not parallel: AllocsPerRun
	j := newJournal(1<<20, 3)
	ss := &sessionState{}
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"test"}}
	body, answer := []byte(`{"friendly_name":"x","phone_number":"+1"}`), []byte(`{"detail":"Phone number not found"}`)
	var spare []byte
	step := func() {
		en := captureEntry(JournalEntry{Method: http.MethodPatch, Path: "/v1/phone-numbers/x", Status: 404}, body, answer, h, recordLayout{}, spare)
		spare = j.add(ss, en)
	}
	for range 5 { // past the cap
		step()
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("a capture at the cap allocates %v times, want 0", allocs)
	}
}

// TestRequestAllocationCeilings holds what BenchmarkHandler measures (with the
// journal on, at its cap): allocations per request are most of what the garbage
// collector costs under load, and a change that brings one back fails here, not only
// in a slower benchmark. The valid update allocates the body's decoded text, its
// one member, the validated fields and the test's own body; the 422 no tree of its
// details.
func TestRequestAllocationCeilings(t *testing.T) { // not parallel: AllocsPerRun
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop pooled requests at random")
	}
	for _, c := range []struct {
		name, method, id, body string
		status                 int
		most                   float64
	}{
		{"valid", http.MethodPatch, sipID, `{"friendly_name":"bench"}`, 200, 4},
		{"invalid_422", http.MethodPatch, sipID, `{"friendly_name":123}`, 422, 3},
		{"unknown_404", http.MethodPatch, unknown, `{"friendly_name":"bench"}`, 404, 13},
		{"method_405", http.MethodGet, sipID, ``, 405, 9},
	} {
		s := newServer(t, Options{JournalSize: 10})
		body := &rewindBody{}
		r, _ := http.NewRequest(c.method, "http://verbex-mock/v1/phone-numbers/"+c.id, body)
		r.Header.Set("Content-Type", "application/json")
		w := &discardWriter{h: http.Header{}}
		run := func() {
			body.Reset([]byte(c.body))
			clear(w.h)
			s.ServeHTTP(w, r)
		}
		for range 20 { // past the journal's cap
			run()
		}
		if w.status != c.status {
			t.Fatalf("%s: status %d, want %d", c.name, w.status, c.status)
		}
		if allocs := testing.AllocsPerRun(200, run); allocs > c.most {
			t.Errorf("%s: %v allocations a request, at most %v before", c.name, allocs, c.most)
		}
	}
}

// BenchmarkJournalCost is a valid update with the journal at its default (1,000
// entries, at its cap) and off: the difference is what journaling costs a request.
func BenchmarkJournalCost(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"on", 0}, {"off", -1}} {
		b.Run(c.name, func(b *testing.B) {
			s := newServer(b, Options{JournalSize: c.size})
			body := &rewindBody{}
			r, _ := http.NewRequest(http.MethodPatch, "http://verbex-mock/v1/phone-numbers/"+sipID, body)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("User-Agent", "wrk")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset([]byte(`{"friendly_name":"bench"}`))
				clear(w.h)
				s.ServeHTTP(w, r)
			}
		})
	}
}
