// Package protocol is the wire protocol between the fake and the tools that drive it:
// the session header, the provider-state route's names, shapes and error codes, and
// the rules for what counts as a secret. The fake serves it and the contract runner
// speaks it; another implementation (a staging shim, a candidate rewrite) can serve it
// too, so that the runner can drive it the same way.
//
// It is a leaf package: it imports only the standard library, so importing it never
// pulls in the fake.
package protocol
