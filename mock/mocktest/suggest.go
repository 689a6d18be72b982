package mocktest

import (
	"fmt"
	"strings"
)

// didYouMean returns "; did you mean X?" for the known name nearest to a misspelt
// one (format quotes it), or "" when none is near.
func didYouMean(name string, known []string, format string) string {
	if best := nearest(name, known); best != "" {
		return fmt.Sprintf("; did you mean "+format+"?", best)
	}
	return ""
}

// nearest is the known name closest to name: the smallest edit distance, ignoring
// case, within a quarter of the name's length (at least 2), or one that name
// begins. "" when none is near.
func nearest(name string, known []string) string {
	lname := strings.ToLower(name)
	best, bestD := "", max(2, len(name)/4)+1
	for _, k := range known {
		lk := strings.ToLower(k)
		if lk == lname {
			return k
		}
		d := distance(lname, lk)
		if len(name) >= 3 && strings.HasPrefix(lk, lname) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between two short names.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
