package mocktest

import (
	"fmt"
	"github.com/verbex/verbex-mock/mock/match"
)

// didYouMean returns "; did you mean X?" for the known name nearest to a misspelt
// one (format quotes it), or "" when none is near.
func didYouMean(name string, known []string, format string) string {
	if best := nearest(name, known); best != "" {
		return fmt.Sprintf("; did you mean "+format+"?", best)
	}
	return ""
}

// nearest is the project's one "did you mean".
func nearest(name string, known []string) string { return match.Nearest(name, known) }
