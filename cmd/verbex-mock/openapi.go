package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/spec"
)

const openapiUsage = `
Prints the OpenAPI document serve would serve, for client generators: the embedded
one, or --spec's once it loads as serve loads it. JSON is what GET /openapi.json
answers (keys in document order, as FastAPI serves it); YAML is the document's own
text (the embedded file byte for byte), or --spec's JSON rewritten as YAML.
`

// openapiCmd prints the served document to stdout.
func openapiCmd(args []string, stdout io.Writer, getenv func(string) string) error {
	var format, specFile string
	fs := newFlagSet("openapi")
	fs.value(enumFlag(&format, "yaml", "json"), "format", "VERBEX_MOCK_OPENAPI_FORMAT", "yaml", "yaml or json")
	fs.string(&specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document instead of the embedded one")
	if err := fs.parse(args, getenv, stdout, "openapi [--format yaml|json] [--spec FILE]"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, openapiUsage)
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("openapi takes no arguments, got %q", fs.Arg(0)), hint: "verbex-mock openapi --help"}
	}
	text, name := fixtures.OpenAPI(), fixtures.OpenAPIName
	if specFile != "" {
		var err error
		if text, err = os.ReadFile(specFile); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		name = specFile
	}
	// Loaded as serve loads it: a document serve refuses is not printed.
	doc, err := spec.Load(text)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", name, err)}
	}
	out := append(doc.JSON[:len(doc.JSON):len(doc.JSON)], '\n')
	if format == "yaml" {
		if out, err = asYAML(text); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", name, err)}
		}
	}
	_, err = stdout.Write(out)
	return err
}

// asYAML is a document's text as YAML: YAML as it is, JSON (a flow mapping to YAML)
// in block style, keys in the same order.
func asYAML(text []byte) ([]byte, error) {
	if t := bytes.TrimSpace(text); len(t) == 0 || t[0] != '{' {
		return text, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		return nil, err
	}
	blockStyle(&root)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 {
		n.Style &^= yaml.DoubleQuotedStyle // quoted again where plain would change the value
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
