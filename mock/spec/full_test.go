package spec

import (
	"sync"

	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/verbex/verbex-mock/mock/spec/internal/libdoc"
	"github.com/verbex/verbex-mock/mock/spec/internal/libvalidator"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// The package's tests run with libopenapi-validator linked in, as the binary and
// contract runs do; checkCompiled is tested by calling it.
func init() { seam.Full, seam.Parse = libvalidator.Checker{}, libdoc.Parse }

var testValidators sync.Map // *Document → validator.Validator

// lazyValidator is the document's libopenapi-validator, for tests that compare
// requests with it.
func (d *Document) lazyValidator() validator.Validator {
	if v, ok := testValidators.Load(d); ok {
		return v.(validator.Validator)
	}
	d.fullResponses() // reads the model of a precompiled document
	v, _ := testValidators.LoadOrStore(d, validator.NewValidatorFromV3Model(d.model.(*v3.Document)))
	return v.(validator.Validator)
}
