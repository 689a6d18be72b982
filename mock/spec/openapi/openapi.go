// Package openapi links libopenapi into the spec package, to load an OpenAPI
// document other than the embedded one. Import it for its side effect:
//
//	import _ "github.com/verbex/verbex-mock/mock/spec/openapi"
//
// The embedded document (fixtures.OpenAPI) is compiled ahead of time, so a Go test
// that serves it through mocktest builds neither libopenapi nor
// libopenapi-validator; a test that passes a document of its own in mock.Options.Spec
// needs this import (without it mock.New returns spec.ErrNeedsOpenAPI). Package
// fullcheck imports it too: the verbex-mock binary and package contract load any
// document.
package openapi

import (
	"github.com/verbex/verbex-mock/mock/spec/internal/libdoc"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

func init() { seam.Parse = libdoc.Parse }
