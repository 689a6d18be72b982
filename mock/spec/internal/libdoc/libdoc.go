// Package libdoc reads an OpenAPI 3 document with libopenapi into seam.Doc, which the
// spec package compiles. It imports libopenapi's OpenAPI 3 data model and index
// only, not the top-level package (Swagger 2, Arazzo, overlays, what-changed). It
// is internal so that the spec package's own tests can use it; programs link it
// through package openapi or fullcheck.
package libdoc

import (
	"errors"
	"fmt"

	"github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	lowbase "github.com/pb33f/libopenapi/datamodel/low/base"
	v3low "github.com/pb33f/libopenapi/datamodel/low/v3"
	"github.com/pb33f/libopenapi/orderedmap"
	"github.com/pb33f/libopenapi/utils"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// Path is the operation's path (spec.Path).
const Path = "/v1/phone-numbers/{phone_number_id}"

// Parse reads data as libopenapi.NewDocument and BuildV3Model do, refusing a
// document with any error (a circular reference included), then the operation.
func Parse(data []byte) (*seam.Doc, error) {
	model, err := buildV3(data)
	if err != nil {
		return nil, err
	}
	d := &seam.Doc{Model: model}
	if info := model.Info; info != nil {
		d.Title, d.Version = info.Title, info.Version
	}
	if model.Paths == nil || model.Paths.PathItems == nil {
		return d, nil
	}
	d.Paths = true
	item, ok := model.Paths.PathItems.Get(Path)
	if !ok || item == nil {
		return d, nil
	}
	d.PathFound = true
	if item.Patch == nil {
		return d, nil
	}
	var r reader
	d.Op = r.operation(item.Patch)
	return d, nil
}

// buildV3 is libopenapi's NewDocument followed by BuildV3Model (document.go), without
// the top-level package.
func buildV3(data []byte) (*v3.Document, error) {
	info, err := datamodel.ExtractSpecInfoWithDocumentCheck(data, false)
	if err != nil {
		return nil, err
	}
	if info.SpecFormat != datamodel.OAS3 && info.SpecFormat != datamodel.OAS31 && info.SpecFormat != datamodel.OAS32 {
		return nil, fmt.Errorf("unable to build openapi document, supplied spec is a different version (%v)", info.SpecFormat)
	}
	low, err := v3low.CreateDocumentFromConfig(info, datamodel.NewDocumentConfiguration())
	if low == nil {
		if err == nil {
			err = errors.New("not an OpenAPI 3 document")
		}
		return nil, err
	}
	if err != nil {
		return nil, errors.Join(utils.UnwrapErrors(err)...)
	}
	doc := v3.NewDocument(low)
	doc.Rolodex = low.Index.GetRolodex()
	lowbase.SchemaQuickHashMap.Clear()
	return doc, nil
}

// reader converts schemas, each libopenapi schema once.
type reader struct {
	schemas map[*base.Schema]*seam.Schema
}

func (r *reader) operation(op *v3.Operation) *seam.Operation {
	out := &seam.Operation{}
	if rb := op.RequestBody; rb != nil {
		out.RequestBody = &seam.RequestBody{Required: rb.Required != nil && *rb.Required, Content: r.content(rb.Content)}
	}
	if op.Responses != nil && op.Responses.Codes != nil {
		out.HasResponses = true
		for code, resp := range op.Responses.Codes.FromOldest() {
			sr := seam.Response{Code: code, Missing: resp == nil}
			if resp != nil {
				sr.Content = r.content(resp.Content)
			}
			out.Responses = append(out.Responses, sr)
		}
	}
	return out
}

func (r *reader) content(c *orderedmap.Map[string, *v3.MediaType]) []seam.Media {
	if c == nil {
		return nil
	}
	out := []seam.Media{}
	for t, m := range c.FromOldest() {
		sm := seam.Media{Type: t}
		if m != nil && m.Schema != nil {
			sm.Schema = r.ref(m.Schema)
		}
		out = append(out, sm)
	}
	return out
}

func (r *reader) ref(p *base.SchemaProxy) *seam.SchemaRef {
	if p == nil {
		return nil
	}
	out := &seam.SchemaRef{}
	if p.IsReference() {
		out.Ref = p.GetReference()
	}
	var s *seam.Schema
	done := false
	out.Resolve = func() *seam.Schema {
		if !done {
			s, done = r.schema(p.Schema()), true
		}
		return s
	}
	return out
}

func (r *reader) refs(ps []*base.SchemaProxy) []*seam.SchemaRef {
	if ps == nil {
		return nil
	}
	out := make([]*seam.SchemaRef, len(ps))
	for i, p := range ps {
		out[i] = r.ref(p)
	}
	return out
}

func (r *reader) schema(s *base.Schema) *seam.Schema {
	if s == nil {
		return nil
	}
	if out, ok := r.schemas[s]; ok {
		return out
	}
	if r.schemas == nil {
		r.schemas = map[*base.Schema]*seam.Schema{}
	}
	out := &seam.Schema{
		Keywords: map[string]bool{}, Lib: s,
		Title: s.Title, Type: s.Type, AnyOf: r.refs(s.AnyOf), OneOf: r.refs(s.OneOf),
		Required: s.Required, Enum: s.Enum, Const: s.Const, Default: s.Default,
		Pattern: s.Pattern, MinLength: s.MinLength, MaxLength: s.MaxLength, MinItems: s.MinItems, MaxItems: s.MaxItems,
	}
	r.schemas[s] = out
	for name, has := range keywords {
		if has(s) {
			out.Keywords[name] = true
		}
	}
	if s.Properties != nil {
		out.Properties = []seam.Property{}
		for name, p := range s.Properties.FromOldest() {
			out.Properties = append(out.Properties, seam.Property{Name: name, Schema: r.ref(p)})
		}
	}
	if s.Items != nil && s.Items.IsA() && s.Items.A != nil {
		out.Items = r.ref(s.Items.A)
	}
	if ap := s.AdditionalProperties; ap != nil {
		out.AdditionalProperties = &seam.AdditionalProperties{IsBool: ap.IsB(), Bool: ap.B}
	}
	low := s.GoLow()
	lit := func(node func(*lowbase.Schema) *yaml.Node) string {
		if low != nil {
			if n := node(low); n != nil {
				if v, err := yamlvalue.Scalar(n); err == nil && v.Kind == pyjson.Number {
					return v.Str
				}
			}
		}
		return ""
	}
	number := func(v *float64, node func(*lowbase.Schema) *yaml.Node) *seam.Number {
		if v == nil {
			return nil
		}
		return &seam.Number{Value: *v, Literal: lit(node)}
	}
	out.MultipleOf = number(s.MultipleOf, func(l *lowbase.Schema) *yaml.Node { return l.MultipleOf.ValueNode })
	out.Maximum = number(s.Maximum, func(l *lowbase.Schema) *yaml.Node { return l.Maximum.ValueNode })
	out.Minimum = number(s.Minimum, func(l *lowbase.Schema) *yaml.Node { return l.Minimum.ValueNode })
	exclusive := func(dv *base.DynamicValue[bool, float64], node func(*lowbase.Schema) *yaml.Node) *seam.Number {
		if dv == nil {
			return nil
		}
		if dv.IsA() {
			return &seam.Number{Boolean: true}
		}
		return &seam.Number{Value: dv.B, Literal: lit(node)}
	}
	out.ExclusiveMaximum = exclusive(s.ExclusiveMaximum, func(l *lowbase.Schema) *yaml.Node { return l.ExclusiveMaximum.ValueNode })
	out.ExclusiveMinimum = exclusive(s.ExclusiveMinimum, func(l *lowbase.Schema) *yaml.Node { return l.ExclusiveMinimum.ValueNode })
	return out
}

// keywords says, for every keyword of spec's keyword table, whether a schema has it
// (TestKeywordNames keeps the two lists equal).
var keywords = map[string]func(s *base.Schema) bool{
	"type":                  func(s *base.Schema) bool { return len(s.Type) > 0 },
	"anyOf":                 func(s *base.Schema) bool { return len(s.AnyOf) > 0 },
	"properties":            func(s *base.Schema) bool { return s.Properties != nil },
	"required":              func(s *base.Schema) bool { return len(s.Required) > 0 },
	"additionalProperties":  func(s *base.Schema) bool { return s.AdditionalProperties != nil },
	"items":                 func(s *base.Schema) bool { return s.Items != nil },
	"enum":                  func(s *base.Schema) bool { return s.Enum != nil },
	"const":                 func(s *base.Schema) bool { return s.Const != nil },
	"default":               func(s *base.Schema) bool { return s.Default != nil },
	"minLength":             func(s *base.Schema) bool { return s.MinLength != nil },
	"maxLength":             func(s *base.Schema) bool { return s.MaxLength != nil },
	"pattern":               func(s *base.Schema) bool { return s.Pattern != "" },
	"multipleOf":            func(s *base.Schema) bool { return s.MultipleOf != nil },
	"maximum":               func(s *base.Schema) bool { return s.Maximum != nil },
	"exclusiveMaximum":      func(s *base.Schema) bool { return s.ExclusiveMaximum != nil },
	"minimum":               func(s *base.Schema) bool { return s.Minimum != nil },
	"exclusiveMinimum":      func(s *base.Schema) bool { return s.ExclusiveMinimum != nil },
	"maxItems":              func(s *base.Schema) bool { return s.MaxItems != nil },
	"minItems":              func(s *base.Schema) bool { return s.MinItems != nil },
	"title":                 func(s *base.Schema) bool { return s.Title != "" },
	"description":           func(s *base.Schema) bool { return s.Description != "" },
	"examples":              func(s *base.Schema) bool { return s.Examples != nil },
	"example":               func(s *base.Schema) bool { return s.Example != nil },
	"deprecated":            func(s *base.Schema) bool { return s.Deprecated != nil },
	"readOnly":              func(s *base.Schema) bool { return s.ReadOnly != nil },
	"writeOnly":             func(s *base.Schema) bool { return s.WriteOnly != nil },
	"externalDocs":          func(s *base.Schema) bool { return s.ExternalDocs != nil },
	"xml":                   func(s *base.Schema) bool { return s.XML != nil },
	"$comment":              func(s *base.Schema) bool { return s.Comment != "" },
	"$schema":               func(s *base.Schema) bool { return s.SchemaTypeRef != "" },
	"$id":                   func(s *base.Schema) bool { return s.Id != "" },
	"$anchor":               func(s *base.Schema) bool { return s.Anchor != "" },
	"$defs":                 func(s *base.Schema) bool { return s.Defs != nil },
	"contentMediaType":      func(s *base.Schema) bool { return s.ContentMediaType != "" },
	"contentEncoding":       func(s *base.Schema) bool { return s.ContentEncoding != "" },
	"format":                func(s *base.Schema) bool { return s.Format != "" },
	"uniqueItems":           func(s *base.Schema) bool { return s.UniqueItems != nil && *s.UniqueItems },
	"minProperties":         func(s *base.Schema) bool { return s.MinProperties != nil },
	"maxProperties":         func(s *base.Schema) bool { return s.MaxProperties != nil },
	"patternProperties":     func(s *base.Schema) bool { return s.PatternProperties != nil },
	"propertyNames":         func(s *base.Schema) bool { return s.PropertyNames != nil },
	"dependentRequired":     func(s *base.Schema) bool { return s.DependentRequired != nil },
	"dependentSchemas":      func(s *base.Schema) bool { return s.DependentSchemas != nil },
	"contains":              func(s *base.Schema) bool { return s.Contains != nil },
	"minContains":           func(s *base.Schema) bool { return s.MinContains != nil },
	"maxContains":           func(s *base.Schema) bool { return s.MaxContains != nil },
	"prefixItems":           func(s *base.Schema) bool { return s.PrefixItems != nil },
	"not":                   func(s *base.Schema) bool { return s.Not != nil },
	"if":                    func(s *base.Schema) bool { return s.If != nil || s.Then != nil || s.Else != nil },
	"allOf":                 func(s *base.Schema) bool { return len(s.AllOf) > 0 },
	"oneOf":                 func(s *base.Schema) bool { return len(s.OneOf) > 0 },
	"discriminator":         func(s *base.Schema) bool { return s.Discriminator != nil },
	"unevaluatedItems":      func(s *base.Schema) bool { return s.UnevaluatedItems != nil },
	"unevaluatedProperties": func(s *base.Schema) bool { return s.UnevaluatedProperties != nil },
	"contentSchema":         func(s *base.Schema) bool { return s.ContentSchema != nil },
	"$dynamicRef":           func(s *base.Schema) bool { return s.DynamicRef != "" },
	"nullable":              func(s *base.Schema) bool { return s.Nullable != nil },
}

// KeywordNames lists the keywords Parse reports, for the test that keeps them equal
// to spec's table.
func KeywordNames() []string {
	out := make([]string, 0, len(keywords))
	for k := range keywords {
		out = append(out, k)
	}
	return out
}
