// Package drift is the drift-watch proxy (verbex-mock proxy): it checks the real
// service on the requests an application actually sends. It forwards them unchanged,
// asks the oracle (the fake, in-process, package contract/judge) the same from the
// same state, and reports the differences by the same comparison and rules as a
// contract run: drift.
//
// It imports the judge, never the contract runner nor the fake itself: the oracle is
// any handler speaking the fake's protocol, given as ProxyConfig.Oracle.
package drift
