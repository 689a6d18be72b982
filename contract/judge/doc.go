// Package judge is what the contract runner (package contract) and the drift proxy
// (package contract/drift) both need to judge one exchange with a target: the
// oracle (the fake, in-process, answering the same request from the same record)
// and how it is taught a record, the comparison of the oracle's reply with the
// target's, the rule a difference breaks, the check of a record against its
// schema, and the redaction of everything a report shows.
//
// It imports neither the runner nor the proxy, nor the fake itself: the oracle is
// any handler that speaks the fake's protocol (package mock/protocol).
package judge

// Records and replies are checked with libopenapi-validator, the general JSON Schema
// validator, by the runner and the proxy alike; every document the binary accepts.
import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck"
