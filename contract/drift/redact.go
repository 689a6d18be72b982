package drift

import (
	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
)

// redactText redacts what an entry quotes of the answers as text before it is
// journaled, counted in the drift report or logged: a difference or a reason can show
// a body that is not JSON as the upstream sent it (a 422 echoing a form body, a
// text/plain answer). Bodies and headers were redacted when they were recorded
// (shown, protocol.RedactHeader); the curl line carries credentials as variables.
func (e *ProxyEntry) redactText() {
	e.Reason = protocol.RedactText(e.Reason)
	e.Mismatches = judge.RedactMismatches(e.Mismatches)
}
