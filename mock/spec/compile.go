package spec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// nodeType is the pydantic type a request value is validated as.
type nodeType uint8

const (
	// tAny: nothing compiled (a schema the compiler cannot read as one pydantic
	// type); its fallback alone decides, and the value is kept as sent.
	tAny nodeType = iota
	tString
	tInt
	tFloat
	tBool
	tList
	tModel
	// tLiteral is Literal[...]: an inline enum or const.
	tLiteral
	// tEnum is an Enum class: an enum behind a $ref to a titled component.
	tEnum
	// tNumber is only a keyword's target: tInt and tFloat.
	tNumber
)

// node is one compiled request schema: the type pydantic validates a value as, its
// constraints in pydantic's order, and what the compiler left to libopenapi-validator.
type node struct {
	typ      nodeType
	nullable bool
	checks   []check // before the items, for lists
	after    []check // lists: after the items
	items    *node
	model    *Branch
	literals []pyjson.Value
	// fallback, when set, validates what the compiled checks passed.
	fallback *fallback
	// plain is a string with no constraint and no fallback: the fast path.
	plain bool
}

// Warning is a keyword the compiled validator does not implement, or a record check
// ignores, with the place it was found.
type Warning struct {
	// Keyword is the JSON Schema keyword ("format", "uniqueItems", …) or a short
	// description of a construct ("anyOf with 2 non-null alternatives").
	Keyword string
	// Pointer is the JSON pointer of the schema that holds it, in the document.
	Pointer string
	// Side is "request" (libopenapi-validator validates it) or "response" (records
	// are stored without checking it).
	Side string
}

func (w Warning) String() string {
	if w.Side == "response" {
		return fmt.Sprintf("%s at %s: not checked when storing records", w.Keyword, w.Pointer)
	}
	return fmt.Sprintf("%s at %s: not compiled; libopenapi-validator decides requests that use it (slower, and its 422 detail is generic)", w.Keyword, w.Pointer)
}

// compiler turns request schemas into nodes.
type compiler struct {
	warnings []Warning
	models   map[*seam.Schema]*Branch
}

func (c *compiler) warn(keyword, ptr string) {
	w := Warning{Keyword: keyword, Pointer: ptr, Side: "request"}
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

// refPointer is the JSON pointer a $ref names, or ptr for an inline schema.
func refPointer(p *seam.SchemaRef, ptr string) string {
	if p != nil && p.Ref != "" {
		if r := p.Ref; strings.HasPrefix(r, "#") {
			return r[1:]
		}
	}
	return ptr
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// node compiles one property (or items, or anyOf alternative) schema.
func (c *compiler) node(p *seam.SchemaRef, ptr string) *node {
	ptr = refPointer(p, ptr)
	s := p.Schema()
	if s == nil {
		c.warn("unresolvable schema", ptr)
		return &node{typ: tAny}
	}
	if len(s.AnyOf) > 0 {
		return c.anyOf(s, ptr)
	}
	n := &node{}
	types := s.Type
	if slices.Contains(types, "null") {
		n.nullable = true
		types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == "null" })
	}
	switch {
	case s.Enum != nil || s.Const != nil:
		if !c.literals(n, p, s, ptr) {
			return c.opaque(s, ptr)
		}
	case len(types) == 0:
		if len(s.AnyOf)+len(s.OneOf) == 0 && !s.Keywords["allOf"] && s.Properties == nil {
			n.typ = tAny // Any: pydantic accepts every value
		} else {
			c.warn("schema without a type", ptr)
			return c.opaque(s, ptr)
		}
	case len(types) > 1:
		c.warn("type "+strings.Join(types, "/"), ptr)
		return c.opaque(s, ptr)
	default:
		switch types[0] {
		case "string":
			n.typ = tString
		case "integer":
			n.typ = tInt
		case "number":
			n.typ = tFloat
		case "boolean":
			n.typ = tBool
		case "array":
			n.typ = tList
			if s.Items != nil {
				n.items = c.node(s.Items, ptr+"/items")
			} else {
				n.items = &node{typ: tAny}
			}
		case "object":
			if s.Properties == nil && s.AdditionalProperties != nil {
				c.warn("object without properties (a dict)", ptr)
				return c.opaque(s, ptr)
			}
			n.typ = tModel
			n.model = c.model(s, ptr)
		default:
			c.warn("type "+types[0], ptr)
			return c.opaque(s, ptr)
		}
	}
	c.fallbackFor(n, s, ptr, false)
	return n
}

// anyOf compiles Optional[X], which is anyOf [X, {type: null}]; Union[X, Y] is
// beyond the compiler.
func (c *compiler) anyOf(s *seam.Schema, ptr string) *node {
	var alts []*seam.SchemaRef
	nullable := false
	for _, a := range s.AnyOf {
		if as := a.Schema(); as != nil && slices.Equal(as.Type, []string{"null"}) {
			nullable = true
			continue
		}
		alts = append(alts, a)
	}
	if len(alts) == 1 {
		i := slices.Index(s.AnyOf, alts[0])
		n := c.node(alts[0], ptr+"/anyOf/"+strconv.Itoa(i))
		n.nullable = n.nullable || nullable
		c.fallbackFor(n, s, ptr, true)
		return n
	}
	n := &node{typ: tAny, nullable: nullable}
	c.warn(fmt.Sprintf("anyOf with %d non-null alternatives", len(alts)), ptr)
	n.fallback = &fallback{schema: s.Lib, ptr: ptr, keywords: []string{"anyOf"}}
	return n
}

// literals reads an enum or const into n; false when a value is not a scalar.
func (c *compiler) literals(n *node, p *seam.SchemaRef, s *seam.Schema, ptr string) bool {
	n.typ = tLiteral
	if p.Ref != "" && s.Title != "" && s.Enum != nil {
		n.typ = tEnum
	}
	vals := slices.Clone(s.Enum)
	if s.Const != nil {
		vals = append(vals, s.Const)
	}
	for _, y := range vals {
		v, err := yamlvalue.Node(y)
		if err != nil || v.Kind == pyjson.Array || v.Kind == pyjson.Object {
			c.warn("enum/const value that is not a scalar", ptr)
			return false
		}
		if v.Kind == pyjson.Null {
			n.nullable = true
			continue
		}
		n.literals = append(n.literals, v)
	}
	return true
}

func (c *compiler) opaque(s *seam.Schema, ptr string) *node {
	// libopenapi-validator does not validate a null value, so whether null passes is
	// read here.
	nullable := slices.Contains(s.Type, "null") || len(s.Type) == 0 && s.Enum == nil && s.Const == nil
	for _, e := range s.Enum {
		nullable = nullable || e.ShortTag() == "!!null"
	}
	return &node{typ: tAny, nullable: nullable, fallback: &fallback{schema: s.Lib, ptr: ptr}}
}

// fallbackFor compiles the constraint keywords of s into n, and hands the ones the
// compiled validator cannot reproduce to libopenapi-validator. outer is the
// anyOf wrapper of an Optional, whose own constraints (if any) apply to the value.
func (c *compiler) fallbackFor(n *node, s *seam.Schema, ptr string, outer bool) {
	var unknownKw []string
	for i := range keywords {
		k := &keywords[i]
		if !s.Keywords[k.name] {
			continue
		}
		switch k.role {
		case annotation:
			// changes nothing pydantic does
		case unknown:
			unknownKw = append(unknownKw, k.name)
		case constraint:
			if !applies(k.on, n.typ) {
				continue // JSON Schema ignores a constraint on a value of another type
			}
			chk, err := k.compile(s, n)
			if errors.Is(err, errUnknown) {
				unknownKw = append(unknownKw, k.name)
				continue
			}
			if k.afterItems {
				n.after = append(n.after, chk)
			} else {
				n.checks = append(n.checks, chk)
			}
		case structural:
			if k.name == "additionalProperties" && n.typ == tModel && !s.AdditionalProperties.IsBool {
				unknownKw = append(unknownKw, "additionalProperties (a schema)")
			}
			if outer && (k.name == "type" || k.name == "properties" || k.name == "items" || k.name == "enum" || k.name == "const") {
				unknownKw = append(unknownKw, k.name+" beside anyOf")
			}
		}
	}
	if len(unknownKw) == 0 {
		return
	}
	for _, k := range unknownKw {
		c.warn(k, ptr)
	}
	if n.fallback != nil {
		// The outer anyOf holds the inner alternative: checking it checks both.
		unknownKw = append(unknownKw, n.fallback.keywords...)
	}
	n.fallback = &fallback{schema: s.Lib, ptr: ptr, keywords: unknownKw}
}

func applies(on, t nodeType) bool {
	return on == t || (on == tNumber && (t == tInt || t == tFloat))
}

// model compiles an object schema into a Branch (a pydantic model).
func (c *compiler) model(s *seam.Schema, ptr string) *Branch {
	if b, ok := c.models[s]; ok {
		return b
	}
	b := &Branch{Title: s.Title}
	if c.models == nil {
		c.models = map[*seam.Schema]*Branch{}
	}
	c.models[s] = b
	if b.Title == "" {
		b.Title = ptr[strings.LastIndex(ptr, "/")+1:]
		c.warn("object schema without a title (pydantic names union branches by it; the component name is used)", ptr)
	}
	b.forbidExtra = s.AdditionalProperties != nil && s.AdditionalProperties.IsBool && !s.AdditionalProperties.Bool
	if s.Properties != nil {
		for _, pr := range s.Properties {
			name, proxy := pr.Name, pr.Schema
			n := c.node(proxy, ptr+"/properties/"+escapePointer(name))
			n.plain = n.typ == tString && len(n.checks) == 0 && n.fallback == nil
			prop := Prop{Name: name, Nullable: n.nullable, Required: slices.Contains(s.Required, name), node: n}
			if n.typ == tLiteral || n.typ == tEnum {
				for _, l := range n.literals {
					if l.Kind == pyjson.String {
						prop.Enum = append(prop.Enum, l.Str)
					}
				}
			}
			b.Props = append(b.Props, prop)
		}
	}
	for _, r := range s.Required {
		if !b.Has(r) {
			// pydantic cannot declare this; JSON Schema requires the key to be present.
			c.warn("required property "+strconv.Quote(r)+" that is not declared", ptr)
			b.fallback = &fallback{schema: s.Lib, ptr: ptr, keywords: []string{"required"}}
		}
	}
	b.plain = !b.forbidExtra
	for i := range b.Props {
		b.plain = b.plain && b.Props[i].node.plain
	}
	var unknownKw []string
	for i := range keywords {
		k := &keywords[i]
		if k.role == unknown && s.Keywords[k.name] {
			unknownKw = append(unknownKw, k.name)
		}
	}
	if s.AdditionalProperties != nil && !s.AdditionalProperties.IsBool {
		unknownKw = append(unknownKw, "additionalProperties (a schema)")
	}
	if len(unknownKw) > 0 {
		for _, k := range unknownKw {
			c.warn(k, ptr)
		}
		b.fallback = &fallback{schema: s.Lib, ptr: ptr, keywords: unknownKw}
	}
	b.plain = b.plain && b.fallback == nil
	return b
}

// compileUnion compiles the request body schema: an anyOf (or oneOf) of models is a
// smart-mode Union, one model schema a single model.
func (c *compiler) union(p *seam.SchemaRef, ptr string) Union {
	root := p.Schema()
	if root == nil {
		c.warn("unresolvable request body schema", ptr)
		return Union{Branches: []*Branch{{Title: "body", whole: &node{typ: tAny}}}}
	}
	proxies, kw := root.AnyOf, "anyOf"
	if len(proxies) == 0 {
		proxies, kw = root.OneOf, "oneOf"
	}
	if root.Keywords["discriminator"] {
		c.warn("discriminator (pydantic then tries only the tagged branch; the compiled union tries all)", ptr)
	}
	u := Union{Titled: len(proxies) > 0}
	if len(proxies) == 0 {
		proxies, kw = []*seam.SchemaRef{p}, ""
	}
	for i, bp := range proxies {
		bptr := ptr
		if kw != "" {
			bptr = ptr + "/" + kw + "/" + strconv.Itoa(i)
		}
		n := c.node(bp, bptr)
		b := n.model
		if n.typ != tModel || n.nullable {
			// Not a model: the whole body is validated as that value.
			title := ""
			if s := bp.Schema(); s != nil {
				title = s.Title
			}
			if title == "" {
				title = "body"
			}
			b = &Branch{Title: title, whole: n}
		}
		u.Branches = append(u.Branches, b)
	}
	return u
}

// defaultOf reads a schema default.
func defaultOf(s *seam.Schema) (*pyjson.Value, error) {
	if s.Default == nil {
		return nil, nil
	}
	v, err := yamlvalue.Node(s.Default)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
