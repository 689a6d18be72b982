package contract

import (
	"fmt"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Why a scenario or a case is skipped, written once: the dry run (plan) and the run
// say the same, and name only flags the contract command has (a test checks them
// against its help).

const skipOverBudget = "not run: the time budget (--max-duration) was spent"

func skipNoStatesRoute(state string) string {
	return fmt.Sprintf("state %q needs a provider-state route (--states); the target has none", state)
}

// giveID ends the reason of a scenario skipped for want of a number; Report.Partial
// finds such skips by it.
const giveID = ": give --id "

func skipNoNumber(state, provider string) string {
	return fmt.Sprintf("state %q needs a %s number"+giveID+"%s=ID", state, provider, provider)
}

// offWithoutANumber is why generation is off on a target without a states route when no
// number was named.
const offWithoutANumber = "generated cases are off: without a states route they need a number to run on (--id PROVIDER=ID)"

func skipTwoNumbers(provider string) string {
	return fmt.Sprintf("the scenario needs two %s numbers; only one was given", provider)
}

// providerOf is the provider whose number a state makes exist, by the state's name
// from the provider's label ("a Vonage number exists") or its name; nil for any
// other state.
func (r *runner) providerOf(state string) *spec.Provider {
	for _, p := range r.doc.Providers {
		if state == protocol.StateName(p.Label) || state == protocol.ProviderStateName(p.Name) {
			return p
		}
	}
	return nil
}
