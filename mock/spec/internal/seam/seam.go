// Package seam is where the spec package meets libopenapi-validator without
// importing it: package fullcheck registers the library here, so that a program that
// does not import fullcheck (a Go test using mocktest) neither builds nor links the
// library and its dependencies (x/text's encodings, x/net/html, a second JSON Schema
// engine: about half the third-party packages of a test binary).
package seam

import (
	"net/http"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Problem is one way a response is off the document, as spec.Problem.
type Problem struct{ Kind, Message string }

// Checker is what the spec package asks of libopenapi-validator.
type Checker interface {
	// Schema validates v (numbers as json.Number, objects as maps) against s, formats
	// asserted. unreadable is true when the library cannot compile s.
	Schema(s *base.Schema, v any) (ok, unreadable bool, reasons []string)
	// Responses returns a check of responses against the document.
	Responses(m *v3.Document) func(req *http.Request, resp *http.Response) []Problem
}

// Full is the registered checker; nil unless package fullcheck is linked in. It is
// set by an init function, before any document is loaded, and only read afterwards.
var Full Checker
