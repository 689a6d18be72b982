package contract

import (
	"fmt"
	"slices"
	"strings"
)

// Partial says what the run could not check for want of a number or a states route,
// and what to give; "" when nothing is missing. A run that looks green but checked
// nothing of a provider, or no generated case, must not pass unnoticed.
func (r *Report) Partial() string {
	var give []string
	for _, s := range r.Scenarios {
		// The reason skipNoNumber gives: `state "…" needs a P number: give --id P=ID`.
		if _, hint, ok := strings.Cut(s.Reason, giveID); ok && s.Status == StatusSkipped {
			if hint = "--id " + hint; !slices.Contains(give, hint) {
				give = append(give, hint)
			}
		}
	}
	var missing []string
	if len(give) > 0 {
		slices.Sort(give)
		missing = append(missing, fmt.Sprintf("nothing of a provider was checked: give %s", strings.Join(give, " ")))
	}
	if r.Generated != nil && r.Generated.Off == offWithoutANumber {
		missing = append(missing, "no case was generated: give --id PROVIDER=ID")
	}
	if len(missing) == 0 {
		return ""
	}
	return "a partial run: " + strings.Join(missing, "; ") + " (or --states ROUTE); --allow-partial accepts it"
}
