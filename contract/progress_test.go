package contract

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a writer the meter's goroutine and the test share; wrote has a
// value for each write not yet taken.
type lockedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{wrote: make(chan struct{}, 64)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wrote <- struct{}{}
	return b.buf.Write(p)
}

func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.wrote) > 0 {
		<-b.wrote
	}
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// fakeClock stands still until a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// tick delivers one tick and waits until the meter has drawn it.
func tick(ticks chan time.Time, out *lockedBuffer) {
	ticks <- time.Time{}
	<-out.wrote
}

func TestStatusLine(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	type event struct {
		plan     int
		finished []string
		advance  time.Duration
	}
	tests := []struct {
		name   string
		budget time.Duration // from start; 0: none
		events []event
		want   string // the last line written on a tick
	}{
		{"nothing done yet", 0, []event{{plan: 29, advance: 10 * time.Second}}, "progress: 0 of 29 cases, 0 failed, 10s elapsed"},
		{"rate and time left", 0, []event{{plan: 29}, {plan: 300, finished: []string{StatusPassed, StatusFailed, StatusError, StatusSkipped}, advance: 2 * time.Second}},
			"progress: 4 of 329 cases, 2 failed, 2.0/s, about 2m43s left"},
		{"the time budget is nearer", 60 * time.Second, []event{{plan: 100, finished: []string{StatusPassed, StatusPassed}, advance: 20 * time.Second}},
			"progress: 2 of 100 cases, 0 failed, 0.1/s, about 40s left (the time budget)"},
		{"all done", 0, []event{{plan: 2, finished: []string{StatusPassed, StatusPassed}, advance: time.Second}}, "progress: 2 of 2 cases, 0 failed, 2.0/s, about 0s left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: start}
			deadline := time.Time{}
			if tt.budget > 0 {
				deadline = start.Add(tt.budget)
			}
			out := newLockedBuffer()
			ticks := make(chan time.Time)
			m := newMeter(StatusLine{W: out}, clock.Now, ticks, func() time.Time { return deadline })
			for _, e := range tt.events {
				m.plan(e.plan)
				for _, s := range e.finished {
					m.finished(s)
				}
				clock.advance(e.advance)
			}
			if got := out.take(); got != "" {
				t.Errorf("wrote %q before a tick; a line not on a terminal is written on ticks only", got)
			}
			tick(ticks, out)
			m.stop()
			if got := out.take(); got != tt.want+"\n" {
				t.Errorf("wrote %q, want the line %q", got, tt.want)
			}
		})
	}
}

// On a terminal the line is redrawn in place as cases finish (at most every
// liveAtMost), cleared before a per-scenario line, and cleared at the end.
func TestStatusLineLive(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	screen := newLockedBuffer()
	ticks := make(chan time.Time)
	m := newMeter(StatusLine{W: screen, Live: true}, clock.Now, ticks, func() time.Time { return time.Time{} })
	m.plan(3)
	clock.advance(time.Second)
	m.finished(StatusPassed)
	m.finished(StatusPassed) // within liveAtMost of the last draw: not drawn
	if got, want := screen.take(), clearLine+"progress: 1 of 3 cases, 0 failed, 1.0/s, about 2s left"; got != want {
		t.Errorf("drew %q, want %q", got, want)
	}
	progress := m.around(screen)
	_, _ = progress.Write([]byte("PASSED  a scenario\n"))
	if got, want := screen.take(), clearLine+"PASSED  a scenario\n"; got != want {
		t.Errorf("a scenario line was written as %q, want %q", got, want)
	}
	_, _ = progress.Write([]byte("PASSED  another\n"))
	if got, want := screen.take(), "PASSED  another\n"; got != want {
		t.Errorf("with no line on screen, a scenario line was written as %q, want %q", got, want)
	}
	tick(ticks, screen)
	if got, want := screen.take(), clearLine+"progress: 2 of 3 cases, 0 failed, 2.0/s, about 1s left"; got != want {
		t.Errorf("a tick drew %q, want %q", got, want)
	}
	m.stop()
	if got := screen.take(); got != clearLine {
		t.Errorf("stop wrote %q, want the line cleared", got)
	}
}

// A nil meter (no status line) is safe to call.
func TestNoStatusLine(t *testing.T) {
	t.Parallel()
	var m *meter
	m.plan(1)
	m.finished(StatusFailed)
	m.stop()
}
