// Package seam is where the spec package meets the OpenAPI libraries without
// importing them: package fullcheck registers libopenapi-validator (Full) and the
// document reader (Parse), package openapi the reader alone, so that a program that
// imports neither (a Go test using mocktest on the embedded document, which is
// compiled ahead of time) neither builds nor links libopenapi, libopenapi-validator
// and their dependencies.
package seam

import (
	"net/http"

	"github.com/pb33f/go-yaml"
)

// Problem is one way a response is off the document, as spec.Problem.
type Problem struct{ Kind, Message string }

// Checker is what the spec package asks of libopenapi-validator.
type Checker interface {
	// Schema validates v (numbers as json.Number, objects as maps) against s (a
	// Schema's Lib), formats asserted. unreadable is true when the library cannot
	// compile s.
	Schema(s any, v any) (ok, unreadable bool, reasons []string)
	// Responses returns a check of responses against the document (a Doc's Model).
	Responses(model any) func(req *http.Request, resp *http.Response) []Problem
}

// Full is the registered checker; nil unless package fullcheck is linked in. It is
// set by an init function, before any document is loaded, and only read afterwards.
var Full Checker

// Parse reads an OpenAPI 3 document (YAML or JSON) with libopenapi; nil unless
// package openapi or fullcheck is linked in. Set by an init function, as Full.
var Parse func(data []byte) (*Doc, error)

// Doc is what the spec package compiles of a document: its info and the operation
// it serves, read from libopenapi's model without its types.
type Doc struct {
	Title, Version string
	// Paths is false when the document has no paths; PathFound when it has the
	// operation's path; Op is the path's PATCH, nil when it has none.
	Paths, PathFound bool
	Op               *Operation
	// Model is libopenapi's *v3.Document, for Checker.Responses.
	Model any
}

// Operation is the PATCH operation.
type Operation struct {
	// RequestBody is nil when the operation has none.
	RequestBody *RequestBody
	// Responses are the documented responses in document order; HasResponses is
	// false when the operation has no responses object.
	Responses    []Response
	HasResponses bool
}

// RequestBody is the operation's request body.
type RequestBody struct {
	Required bool
	// Content is nil when the body declares no content.
	Content []Media
}

// Response is one documented response.
type Response struct {
	Code string
	// Missing is true when the code has no response object.
	Missing bool
	// Content is nil when the response declares no content.
	Content []Media
}

// Media is one media type of a content map; Schema is nil when it has none.
type Media struct {
	Type   string
	Schema *SchemaRef
}

// Get returns the media type named t.
func Get(content []Media, t string) (Media, bool) {
	for _, m := range content {
		if m.Type == t {
			return m, true
		}
	}
	return Media{}, false
}

// SchemaRef is a schema where it is used: a $ref, or inline.
type SchemaRef struct {
	// Ref is the $ref ("#/components/schemas/X"), "" for an inline schema.
	Ref string
	// Resolve returns the schema; nil when it cannot be resolved. Schemas are read
	// from the model on first use, so a recursive document is read as far as it is
	// compiled.
	Resolve func() *Schema
}

// Schema returns the resolved schema, or nil.
func (r *SchemaRef) Schema() *Schema {
	if r == nil || r.Resolve == nil {
		return nil
	}
	return r.Resolve()
}

// Schema is one JSON Schema, with the keywords the compilers read. The same
// libopenapi schema always gives the same *Schema.
type Schema struct {
	// Keywords names the keywords present (spec's keyword table names them all).
	Keywords map[string]bool

	Title                string
	Type                 []string
	AnyOf, OneOf         []*SchemaRef
	Properties           []Property // nil when the schema has no properties keyword
	Required             []string
	Enum                 []*yaml.Node
	Const, Default       *yaml.Node
	Items                *SchemaRef // a schema (not a boolean) items; nil otherwise
	AdditionalProperties *AdditionalProperties
	Pattern              string
	MinLength, MaxLength *int64
	MinItems, MaxItems   *int64
	MultipleOf, Maximum  *Number
	Minimum              *Number
	ExclusiveMaximum     *Number
	ExclusiveMinimum     *Number

	// Lib is libopenapi's *base.Schema, for Checker.Schema.
	Lib any
}

// Property is one entry of properties.
type Property struct {
	Name   string
	Schema *SchemaRef
}

// AdditionalProperties is a boolean or a schema.
type AdditionalProperties struct {
	IsBool, Bool bool
}

// Number is a numeric keyword: its value and its literal as the document writes it
// ("10" or "10.0"; "" when unknown). Boolean is true for OpenAPI 3.0's boolean
// exclusiveMinimum/Maximum.
type Number struct {
	Value   float64
	Literal string
	Boolean bool
}
