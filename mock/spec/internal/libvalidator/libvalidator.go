// Package libvalidator implements seam.Checker with libopenapi-validator. It is
// internal so that the spec package's own tests can use it; programs link it through
// package fullcheck.
package libvalidator

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// Checker is libopenapi-validator behind seam.Checker.
type Checker struct{}

var (
	schemaValidatorOnce sync.Once
	schemaValidator     schema_validation.SchemaValidator
)

// Schema validates a value with formats asserted, as pydantic validates the types
// that emit them; the reasons are sorted and deduplicated.
func (Checker) Schema(s any, v any) (ok, unreadable bool, reasons []string) {
	schemaValidatorOnce.Do(func() {
		schemaValidator = schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	})
	ok, errs := schemaValidator.ValidateSchemaObject(s.(*base.Schema), v)
	if ok {
		return true, false, nil
	}
	for _, e := range errs {
		if e.Message == "schema compilation failed" {
			return false, true, nil
		}
	}
	for _, e := range errs {
		for _, se := range e.SchemaValidationErrors {
			r := se.Reason
			if se.FieldPath != "" && se.FieldPath != "$" {
				r = se.FieldPath + ": " + r
			}
			if !slices.Contains(reasons, r) {
				reasons = append(reasons, r)
			}
		}
		if len(e.SchemaValidationErrors) == 0 && e.Reason != "" {
			reasons = append(reasons, e.Reason)
		}
	}
	slices.Sort(reasons)
	return false, false, reasons
}

// Responses builds the document's validator (milliseconds and megabytes) and
// returns its response check, with Schemathesis-style problem kinds.
func (Checker) Responses(model any) func(req *http.Request, resp *http.Response) []seam.Problem {
	v := validator.NewValidatorFromV3Model(model.(*v3.Document))
	return func(req *http.Request, resp *http.Response) []seam.Problem {
		ok, errs := v.ValidateHttpResponse(req, resp)
		if ok {
			return nil
		}
		var problems []seam.Problem
		for _, e := range errs {
			kind := "response_schema_conformance"
			switch e.ValidationSubType {
			case "contentType":
				kind = "content_type_conformance"
			case "statusCode":
				kind = "status_code_conformance"
			}
			msg := e.Message
			var reasons []string
			for _, s := range e.SchemaValidationErrors {
				at := s.FieldPath
				if at == "" {
					at = "$"
				}
				reasons = append(reasons, at+": "+s.Reason)
			}
			sort.Strings(reasons)
			if len(reasons) > 0 {
				msg += " (" + strings.Join(reasons, "; ") + ")"
			} else if e.Reason != "" {
				msg += ": " + e.Reason
			}
			problems = append(problems, seam.Problem{Kind: kind, Message: msg})
		}
		return problems
	}
}
