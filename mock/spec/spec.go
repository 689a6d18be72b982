package spec

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// Path and Method name the one operation the fake serves.
const (
	Path   = "/v1/phone-numbers/{phone_number_id}"
	Method = http.MethodPatch
)

// ErrInvalid wraps every reason a document is refused.
var ErrInvalid = errors.New("spec: invalid document")

// ErrNeedsOpenAPI is a document other than the embedded one, loaded without the
// OpenAPI library: the embedded document is compiled ahead of time (embedded.go), any
// other is read with libopenapi, which package openapi (or fullcheck) links in.
var ErrNeedsOpenAPI = errors.New(`spec: a document other than the embedded one needs the OpenAPI library (import _ "github.com/verbex/verbex-mock/mock/spec/openapi")`)

// Document is a loaded, compiled OpenAPI document. It is safe for concurrent use.
type Document struct {
	// Title and Version are the document's info.title and info.version.
	Title, Version string
	// JSON is the whole document rendered as compact JSON, keys in document order,
	// as FastAPI serves /openapi.json.
	JSON []byte
	// BodyRequired is requestBody.required.
	BodyRequired bool
	// Union is the compiled request body schema.
	Union Union
	// Providers are the 200 response's anyOf branches, in document order.
	Providers []*Provider
	// Statuses are the response codes the operation documents.
	Statuses []int
	// Warnings name the keywords the compiled validator does not implement (requests
	// using them are decided by libopenapi-validator, slower and with a generic 422
	// detail) and those record checks ignore, each with its place. Log them once at
	// start; a document with none is validated by compiled rules alone.
	Warnings []Warning

	source    []byte
	model     any                     // libopenapi's model; nil for the precompiled embedded document until needed
	responses map[int]*responseSchema // compiled response checks, by status
	fullOnce  sync.Once
	full      func(*http.Request, *http.Response) []seam.Problem // libopenapi-validator's, built on first use
}

// Load parses and compiles a document (YAML or JSON). Errors wrap ErrInvalid and say
// what is wrong and where. The embedded document (fixtures.OpenAPI) comes compiled
// ahead of time; any other needs package openapi or fullcheck linked in, else the
// error is ErrNeedsOpenAPI.
func Load(data []byte) (*Document, error) {
	var d *Document
	if sha256.Sum256(data) == embeddedSHA256 {
		d = embeddedDocument()
	} else {
		if seam.Parse == nil {
			return nil, ErrNeedsOpenAPI
		}
		parsed, err := seam.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if d, err = compile(parsed); err != nil {
			return nil, err
		}
	}
	var err error
	if d.JSON, err = toJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	d.source = data
	return d, nil
}

// compile compiles a read document; embedded.go is its output for the embedded one.
func compile(parsed *seam.Doc) (*Document, error) {
	d := &Document{Title: parsed.Title, Version: parsed.Version}
	op, err := operation(parsed)
	if err != nil {
		return nil, err
	}
	var c compiler
	if err := d.compileRequest(&c, op); err != nil {
		return nil, err
	}
	if err := d.compileResponses(&c, op); err != nil {
		return nil, err
	}
	d.Warnings = c.warnings
	d.responses = compileResponseSchemas(op)
	if seam.Full == nil {
		if err := needsFullCheck(&d.Union, d.Warnings); err != nil {
			return nil, err
		}
	}
	d.model = parsed.Model
	return d, nil
}

func operation(m *seam.Doc) (*seam.Operation, error) {
	if !m.Paths {
		return nil, fmt.Errorf("%w: no paths; want %s %s", ErrInvalid, Method, Path)
	}
	if !m.PathFound {
		return nil, fmt.Errorf("%w: no path %s", ErrInvalid, Path)
	}
	if m.Op == nil {
		return nil, fmt.Errorf("%w: path %s has no %s operation", ErrInvalid, Path, Method)
	}
	return m.Op, nil
}

// operationPointer is the JSON pointer of the operation in the document.
var operationPointer = "/paths/" + escapePointer(Path) + "/patch"

func (d *Document) compileRequest(c *compiler, op *seam.Operation) error {
	rb := op.RequestBody
	if rb == nil || rb.Content == nil {
		return fmt.Errorf("%w: %s %s has no request body", ErrInvalid, Method, Path)
	}
	d.BodyRequired = rb.Required
	mt, ok := seam.Get(rb.Content, "application/json")
	if !ok || mt.Schema == nil {
		return fmt.Errorf("%w: %s %s: request body has no application/json schema", ErrInvalid, Method, Path)
	}
	d.Union = c.union(mt.Schema, operationPointer+"/requestBody/content/application~1json/schema")
	return nil
}

func (d *Document) compileResponses(c *compiler, op *seam.Operation) error {
	if !op.HasResponses {
		return fmt.Errorf("%w: %s %s has no responses", ErrInvalid, Method, Path)
	}
	var ok200 *seam.Response
	for i, r := range op.Responses {
		if n, err := strconv.Atoi(r.Code); err == nil {
			d.Statuses = append(d.Statuses, n)
		}
		if r.Code == "200" {
			ok200 = &op.Responses[i]
		}
	}
	if ok200 == nil || ok200.Missing || ok200.Content == nil {
		return fmt.Errorf("%w: %s %s documents no 200 response", ErrInvalid, Method, Path)
	}
	mt, found := seam.Get(ok200.Content, "application/json")
	if !found || mt.Schema == nil {
		return fmt.Errorf("%w: the 200 response has no application/json schema", ErrInvalid)
	}
	root := mt.Schema.Schema()
	branches := root.AnyOf
	if len(branches) == 0 {
		branches = root.OneOf
	}
	if len(branches) == 0 {
		branches = []*seam.SchemaRef{mt.Schema}
	}
	ptr := operationPointer + "/responses/200/content/application~1json/schema"
	for i, b := range branches {
		bptr := ptr
		if len(root.AnyOf) > 0 {
			bptr += "/anyOf/" + strconv.Itoa(i)
		} else if len(root.OneOf) > 0 {
			bptr += "/oneOf/" + strconv.Itoa(i)
		}
		p, err := c.provider(b, bptr)
		if err != nil {
			return fmt.Errorf("%w: 200 response branch %d: %w", ErrInvalid, i, err)
		}
		for _, q := range d.Providers {
			if q.Name == p.Name {
				return fmt.Errorf("%w: two 200 response branches for provider %q", ErrInvalid, p.Name)
			}
		}
		d.Providers = append(d.Providers, p)
	}
	return nil
}

// fullResponses builds libopenapi-validator's response check once, when it is first
// needed; it costs milliseconds and megabytes that serving alone never needs.
// The precompiled embedded document reads its model then.
func (d *Document) fullResponses() func(*http.Request, *http.Response) []seam.Problem {
	d.fullOnce.Do(func() {
		if d.model == nil && seam.Parse != nil {
			if parsed, err := seam.Parse(d.source); err == nil {
				d.model = parsed.Model
			}
		}
		if d.model != nil {
			d.full = seam.Full.Responses(d.model)
		}
	})
	return d.full
}

// Provider returns the provider schema named name ("sip", "pia", "twilio").
func (d *Document) Provider(name string) *Provider {
	for _, p := range d.Providers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ProviderNames lists the providers in document order.
func (d *Document) ProviderNames() []string {
	names := make([]string, len(d.Providers))
	for i, p := range d.Providers {
		names[i] = p.Name
	}
	return names
}

// Documents reports whether the document lists status for the operation.
func (d *Document) Documents(status int) bool { return slices.Contains(d.Statuses, status) }

// StatusList writes the documented statuses for a message: "200, 404, 422, 500".
func (d *Document) StatusList() string {
	out := make([]string, len(d.Statuses))
	for i, n := range d.Statuses {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ", ")
}

// toJSON renders the YAML (or JSON) source as compact JSON in document order.
func toJSON(data []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	v, err := yamlvalue.Node(&root)
	if err != nil {
		return nil, err
	}
	return pyjson.Append(nil, v)
}
