// Package fullcheck links libopenapi-validator into the spec package. Import it for
// its side effect:
//
//	import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck"
//
// With it, Document.CheckResponse (the fake's self-check, every contract run)
// validates responses with libopenapi-validator, the general JSON Schema validator,
// and documents that use a keyword the compiled request validator does not implement
// (Document.Warnings, side "request") load, the library deciding the values it
// applies to. Without it, responses are checked by the compiled record checks
// (types, enum/const, items, properties/required and the constraint keywords) and
// such documents are refused with spec.ErrNeedsFullCheck.
//
// It links package openapi too, so that any document loads. The verbex-mock binary
// and package contract import it. A Go test that uses mocktest does not need to: the
// embedded document needs no fallback, and leaving the library out halves the
// third-party packages the test binary builds.
package fullcheck

import (
	_ "github.com/verbex/verbex-mock/mock/spec/openapi"

	"github.com/verbex/verbex-mock/mock/spec/internal/libvalidator"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

func init() { seam.Full = libvalidator.Checker{} }
