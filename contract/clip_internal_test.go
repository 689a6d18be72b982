package contract

import (
	"strings"
	"testing"
)

// TestTextReportBounds: the README's figures for the text report, a body cut to 300
// bytes (on a character boundary) and a reproduce line over 8 KiB left to --json.
func TestTextReportBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		wantCut  bool
	}{
		{"300 bytes stay whole", strings.Repeat("a", 300), false},
		{"301 bytes are cut", strings.Repeat("a", 301), true},
		{"cut on a character boundary", strings.Repeat("a", 299) + "éé", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := clip(tt.in)
			if !tt.wantCut {
				if got != tt.in {
					t.Errorf("clip changed a %d-byte text", len(tt.in))
				}
				return
			}
			kept, _, ok := strings.Cut(got, "…")
			if !ok || len(kept) > 300 || !strings.HasPrefix(tt.in, kept) || !strings.Contains(got, "bytes)") {
				t.Errorf("clip(%d bytes) = %q", len(tt.in), got)
			}
		})
	}
	if line := strings.Repeat("x", 8<<10); curlShown(line) != line {
		t.Error("an 8 KiB reproduce line is not shown whole")
	}
	if line := strings.Repeat("x", 8<<10+1); strings.Contains(curlShown(line), "xxx") || !strings.Contains(curlShown(line), "--json") {
		t.Errorf("a reproduce line over 8 KiB is shown: %.80s", curlShown(line))
	}
}
