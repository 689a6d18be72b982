package contract

import (
	"context"
	"testing"
	"time"
)

// TestLimiterSpacesRequests: at 100 a second, six requests take at least 50 ms; a
// rate of 0 never waits.
func TestLimiterSpacesRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate float64
		min  time.Duration
	}{{100, 50 * time.Millisecond}, {0, 0}} {
		l := newLimiter(tt.rate)
		start := time.Now()
		for range 6 {
			if err := l.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := time.Since(start); got < tt.min || (tt.rate == 0 && got > 10*time.Millisecond) {
			t.Errorf("rate %v: six requests in %v", tt.rate, got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := newLimiter(0.001)
	_ = l.wait(ctx) // the first goes at once
	if err := l.wait(ctx); err == nil {
		t.Error("a cancelled wait returned nil")
	}
}
