package spec

import (
	"fmt"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Union is the request body schema as pydantic validates it: an anyOf of object
// schemas becomes Union[Model, …] (smart mode), a single object schema one Model.
type Union struct {
	Branches []*Branch
	// Titled is true for a real union: pydantic then names the branch in loc.
	Titled bool
}

// Branch is one model of the union (or a nested model).
type Branch struct {
	// Title is the model's class name as FastAPI writes it into the schema title.
	Title string
	Props []Prop

	forbidExtra bool      // additionalProperties: false (extra="forbid")
	plain       bool      // every field is a plain string and nothing else applies
	fallback    *fallback // model-level keywords left to libopenapi-validator
	whole       *node     // a union member that is not a model: the body is this value
}

// Prop is one model field.
type Prop struct {
	Name string
	// Nullable is true for Optional[…] (null accepted).
	Nullable bool
	// Enum lists the string values of a Literal or Enum field.
	Enum     []string
	Required bool

	node *node
}

// passes is the fast check of one branch: whether it validates, how many fields it
// sets (nested ones included) and whether a lax coercion was needed. Plain string
// fields are checked inline; others go through the validation walk.
func (b *Branch) passes(body pyjson.Value) (ok bool, count int, lax bool) {
	if b.whole != nil || b.fallback != nil || b.forbidExtra {
		var w walker
		_, ok := b.validate(&w, body)
		return ok, w.count, w.lax
	}
	if body.Kind != pyjson.Object {
		return false, 0, false
	}
	for i := range b.Props {
		p := &b.Props[i]
		v, present := body.Get(p.Name)
		if !present {
			if p.Required {
				return false, 0, false
			}
			continue
		}
		if n := p.node; n.plain {
			if v.Kind != pyjson.String && (v.Kind != pyjson.Null || !n.nullable) {
				return false, 0, false
			}
			count++
			continue
		}
		var w walker
		if _, ok := p.node.validate(&w, v); !ok {
			return false, 0, false
		}
		count += 1 + w.count
		lax = lax || w.lax
	}
	return true, count, lax
}

// Has reports whether the branch declares the property.
func (b *Branch) Has(name string) bool {
	for i := range b.Props {
		if b.Props[i].Name == name {
			return true
		}
	}
	return false
}

// Detail is one pydantic error as FastAPI renders it in a 422's "detail" array.
type Detail struct {
	Type  string
	Loc   []pyjson.Value
	Msg   string
	Input pyjson.Value
	// Ctx is the optional "ctx" object; nil leaves it out.
	Ctx []pyjson.Member
}

// Value renders d in pydantic's key order: type, loc, msg, input, ctx.
func (d *Detail) Value() pyjson.Value {
	return pyjson.ObjectValue(d.Members(make([]pyjson.Member, 0, 5)))
}

// Members appends d's members in Value's order to dst; with room for five, it
// allocates nothing.
func (d *Detail) Members(dst []pyjson.Member) []pyjson.Member {
	dst = append(dst,
		pyjson.Member{Key: "type", Value: pyjson.StringValue(d.Type)},
		pyjson.Member{Key: "loc", Value: pyjson.ArrayValue(d.Loc)},
		pyjson.Member{Key: "msg", Value: pyjson.StringValue(d.Msg)},
		pyjson.Member{Key: "input", Value: d.Input})
	if d.Ctx != nil {
		dst = append(dst, pyjson.Member{Key: "ctx", Value: pyjson.ObjectValue(d.Ctx)})
	}
	return dst
}

// AppendValidationError appends the HTTPValidationError body {"detail":[…]}: each
// detail's Value, written without building it.
func AppendValidationError(dst []byte, details []Detail) ([]byte, error) {
	dst = append(dst, `{"detail":[`...)
	var err error
	for i := range details {
		d := &details[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"type":`...)
		if dst, err = pyjson.AppendString(dst, d.Type); err != nil {
			return dst, err
		}
		dst = append(dst, `,"loc":`...)
		if dst, err = pyjson.Append(dst, pyjson.ArrayValue(d.Loc)); err != nil {
			return dst, err
		}
		dst = append(dst, `,"msg":`...)
		if dst, err = pyjson.AppendString(dst, d.Msg); err != nil {
			return dst, err
		}
		dst = append(dst, `,"input":`...)
		if dst, err = pyjson.Append(dst, d.Input); err != nil {
			return dst, err
		}
		if d.Ctx != nil {
			dst = append(dst, `,"ctx":`...)
			if dst, err = pyjson.Append(dst, pyjson.ObjectValue(d.Ctx)); err != nil {
				return dst, err
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}

// MissingBody is FastAPI's error for an empty body or the JSON literal null.
func MissingBody() []Detail {
	return []Detail{{Type: "missing", Loc: []pyjson.Value{pyjson.StringValue("body")}, Msg: "Field required", Input: pyjson.NullValue()}}
}

// InvalidJSON is FastAPI's error for a body json.loads rejects.
func InvalidJSON(e *pyjson.SyntaxError) []Detail {
	return []Detail{{
		Type:  "json_invalid",
		Loc:   []pyjson.Value{pyjson.StringValue("body"), pyjson.NumberValue(fmt.Sprint(e.Pos))},
		Msg:   "JSON decode error",
		Input: pyjson.ObjectValue([]pyjson.Member{}),
		Ctx:   []pyjson.Member{{Key: "error", Value: pyjson.StringValue(e.Msg)}},
	}}
}

// Result is the outcome of validating a body against the union.
type Result struct {
	// Branch is the model pydantic picked; nil when validation failed.
	Branch *Branch
	// Fields are the picked model's fields present in the body, in model order, with
	// the values pydantic keeps (coerced: "5" for an int field is 5, nested models
	// keep only their own fields, in their order): everything else is dropped.
	Fields []pyjson.Member
	// Details are the errors of every branch when all failed, in branch order and,
	// within a branch, in field order.
	Details []Detail
}

// Validate validates a decoded, non-null body as pydantic's smart-mode union does,
// with its lax python-mode coercions (FastAPI validates the parsed JSON as Python
// objects): every branch is tried; of those that pass, the one that sets the most
// fields (nested models' fields included) wins, then a branch that needed no lax
// coercion, then the earlier; if none pass, all their errors are reported.
func (u *Union) Validate(body pyjson.Value) Result { return u.ValidateIn(nil, body) }

// Scratch is room for a failed validation's errors that a caller validating many
// bodies reuses: the fake keeps one per pooled request. The Details of a Result from
// ValidateIn point into it until its next use or Reset.
type Scratch struct {
	loc, locs []pyjson.Value
	details   []Detail
}

// maxScratch is how many values of room Reset keeps; a larger body's errors give
// theirs back to the garbage collector.
const maxScratch = 256

// Reset drops what the last validation's errors refer to (the body's values), so a
// pooled Scratch holds no request's data, and keeps the room unless it grew large.
func (s *Scratch) Reset() {
	clear(s.loc)
	clear(s.locs)
	clear(s.details)
	if cap(s.locs) > maxScratch || cap(s.loc) > maxScratch || cap(s.details) > maxScratch {
		*s = Scratch{}
		return
	}
	s.loc, s.locs, s.details = s.loc[:0], s.locs[:0], s.details[:0]
}

// ValidateIn is Validate with the errors' room taken from s (nil: fresh room).
func (u *Union) ValidateIn(s *Scratch, body pyjson.Value) Result {
	best, bestCount, bestLax := -1, -1, false
	for i, b := range u.Branches {
		if ok, count, lax := b.passes(body); ok && (count > bestCount || (count == bestCount && bestLax && !lax)) {
			best, bestCount, bestLax = i, count, lax
		}
	}
	if best >= 0 {
		b := u.Branches[best]
		if b.whole != nil {
			return Result{Branch: b}
		}
		if b.plain {
			fields := make([]pyjson.Member, 0, bestCount)
			for i := range b.Props {
				if v, ok := body.Get(b.Props[i].Name); ok {
					fields = append(fields, pyjson.Member{Key: b.Props[i].Name, Value: v})
				}
			}
			return Result{Branch: b, Fields: fields}
		}
		w := walker{build: true}
		out, _ := b.validate(&w, body)
		return Result{Branch: b, Fields: out.Obj}
	}
	if s == nil {
		s = &Scratch{}
	}
	if cap(s.loc) == 0 { // first use: room for the usual few errors at once
		s.loc, s.locs, s.details = make([]pyjson.Value, 0, 8), make([]pyjson.Value, 0, 16), make([]Detail, 0, 4)
	}
	w := walker{collect: true, loc: append(s.loc[:0], pyjson.StringValue("body")), locs: s.locs[:0], details: s.details[:0]}
	for _, b := range u.Branches {
		if u.Titled {
			w.loc = append(w.loc[:1], pyjson.StringValue(b.Title))
		}
		b.validate(&w, body)
	}
	// The walker's loc ends where it started; its room up to the deepest error is kept
	// (and cleared by Reset) with the rest.
	s.loc, s.locs, s.details = w.loc[:cap(w.loc)], w.locs, w.details
	return Result{Details: w.details}
}
