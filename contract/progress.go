package contract

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// StatusLine is where a run keeps saying how far it is: cases done and planned,
// failures, rate and time left. A run against a real service at 10 requests a second
// takes minutes; it must not look hung.
type StatusLine struct {
	// W receives the line (nil: none).
	W io.Writer
	// Live redraws one line in place (W is a terminal); otherwise a line is written
	// every statusEvery.
	Live bool
}

// StatusLineFor is a status line on w, live when w is a terminal.
func StatusLineFor(w io.Writer) StatusLine {
	f, ok := w.(*os.File)
	if !ok {
		return StatusLine{W: w}
	}
	fi, err := f.Stat()
	return StatusLine{W: w, Live: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

const (
	statusEvery = 10 * time.Second       // a line at least this often when not live
	liveEvery   = time.Second            // a live line's redraw when nothing finishes
	liveAtMost  = 100 * time.Millisecond // a live line's redraws at most this often
	clearLine   = "\r\x1b[K"
)

// meter counts cases and writes the status line. A nil meter does nothing.
type meter struct {
	w        io.Writer
	live     bool
	now      func() time.Time
	deadline func() time.Time
	ticks    <-chan time.Time
	quit     chan struct{}
	ended    chan struct{}

	mu                    sync.Mutex
	started, drawn        time.Time
	planned, done, failed int
	onScreen              bool
}

// newMeter starts the meter: it writes on each tick (and, live, as cases finish)
// until stop.
func newMeter(s StatusLine, now func() time.Time, ticks <-chan time.Time, deadline func() time.Time) *meter {
	m := &meter{w: s.W, live: s.Live, now: now, deadline: deadline, ticks: ticks, quit: make(chan struct{}), ended: make(chan struct{}), started: now()}
	go func() {
		defer close(m.ended)
		for {
			select {
			case <-m.ticks:
				m.mu.Lock()
				m.draw()
				m.mu.Unlock()
			case <-m.quit:
				return
			}
		}
	}()
	return m
}

// startMeter starts the run's status line, if it has one; stop ends it.
func (r *runner) startMeter() (stop func()) {
	if r.cfg.Status.W == nil {
		return func() {}
	}
	every := statusEvery
	if r.cfg.Status.Live {
		every = liveEvery
	}
	ticker := time.NewTicker(every)
	r.meter = newMeter(r.cfg.Status, time.Now, ticker.C, func() time.Time { return r.deadline })
	if r.cfg.Progress != nil && r.cfg.Status.Live {
		r.cfg.Progress = r.meter.around(r.cfg.Progress)
	}
	if r.cfg.Replay == nil || *r.cfg.Replay < 0 {
		r.meter.plan(len(r.scenarios))
	}
	return func() {
		ticker.Stop()
		r.meter.stop()
	}
}

// plan adds n cases to those planned.
func (m *meter) plan(n int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.planned += n
}

// finished counts a scenario or case that ended with status.
func (m *meter) finished(status string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
	if status == StatusFailed || status == StatusError {
		m.failed++
	}
	if m.live && m.now().Sub(m.drawn) >= liveAtMost {
		m.draw()
	}
}

// stop ends the meter; a live line is cleared, so the report starts on a clean line.
func (m *meter) stop() {
	if m == nil {
		return
	}
	close(m.quit)
	<-m.ended
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
}

// draw writes the line; m.mu is held.
func (m *meter) draw() {
	m.drawn = m.now()
	if m.live {
		fmt.Fprint(m.w, clearLine+m.line())
		m.onScreen = true
		return
	}
	fmt.Fprintln(m.w, m.line())
}

func (m *meter) clear() {
	if m.onScreen {
		fmt.Fprint(m.w, clearLine)
		m.onScreen = false
	}
}

// line: "progress: 120 of 329 cases, 2 failed, 41.3/s, about 5s left".
func (m *meter) line() string {
	now := m.now()
	elapsed := now.Sub(m.started)
	var b strings.Builder
	fmt.Fprintf(&b, "progress: %d of %d cases, %d failed", m.done, m.planned, m.failed)
	if m.done == 0 || elapsed <= 0 {
		fmt.Fprintf(&b, ", %s elapsed", elapsed.Round(time.Second))
		return b.String()
	}
	rate := float64(m.done) / elapsed.Seconds()
	left := time.Duration(float64(max(m.planned-m.done, 0)) / rate * float64(time.Second))
	budget := ""
	if d := m.deadline(); !d.IsZero() && d.Sub(now) < left {
		left, budget = max(d.Sub(now), 0), " (the time budget)"
	}
	fmt.Fprintf(&b, ", %.1f/s, about %s left%s", rate, left.Round(time.Second), budget)
	return b.String()
}

// around is w, whose writes (the per-scenario lines) first clear the live line; the
// next tick or finished case draws it again.
func (m *meter) around(w io.Writer) io.Writer { return &belowLine{m: m, w: w} }

type belowLine struct {
	m *meter
	w io.Writer
}

func (b *belowLine) Write(p []byte) (int, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	b.m.clear()
	return b.w.Write(p)
}
