package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
)

// runOK runs the command and returns its stdout, failing the test on any other exit.
func runOK(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr, env()); code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
	}
	return stdout.Bytes()
}

// TestOpenAPIYAMLIsTheEmbeddedFile: the default output is the embedded document, byte
// for byte, so a generator sees what the fake serves from.
func TestOpenAPIYAMLIsTheEmbeddedFile(t *testing.T) {
	t.Parallel()
	if got := runOK(t, "openapi"); !bytes.Equal(got, fixtures.OpenAPI()) {
		t.Errorf("openapi printed %d bytes that differ from %s (%d bytes)", len(got), fixtures.OpenAPIName, len(fixtures.OpenAPI()))
	}
	if got := runOK(t, "openapi", "--format", "YAML"); !bytes.Equal(got, fixtures.OpenAPI()) {
		t.Error("--format YAML (any case) is not the embedded file")
	}
}

// TestOpenAPIJSONIsWhatTheServerServes: --format json is GET /openapi.json's body
// (then a newline), and parses to the same value.
func TestOpenAPIJSONIsWhatTheServerServes(t *testing.T) {
	t.Parallel()
	_, url := servedFake(t, nil)
	resp, err := http.Get(url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := runOK(t, "openapi", "--format", "json")
	if !bytes.Equal(got, append(served, '\n')) {
		t.Error("openapi --format json differs from GET /openapi.json")
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(served, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the two documents parse to different values")
	}
}

// TestOpenAPISpecRoundTrip: --spec's document is printed; a JSON document as YAML
// reads back to the same JSON, and a YAML one is printed as it is.
func TestOpenAPISpecRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonDoc := runOK(t, "openapi", "--format", "json")
	jsonFile := writeFileIn(t, dir, "openapi.json", string(jsonDoc))
	yamlDoc := runOK(t, "openapi", "--spec", jsonFile)
	if bytes.HasPrefix(bytes.TrimSpace(yamlDoc), []byte("{")) {
		t.Fatalf("--format yaml of a JSON document printed JSON: %.80s", yamlDoc)
	}
	yamlFile := writeFileIn(t, dir, "openapi.yaml", string(yamlDoc))
	if got := runOK(t, "openapi", "--spec", yamlFile, "--format", "json"); !bytes.Equal(got, jsonDoc) {
		t.Error("JSON → YAML → JSON changed the document")
	}
	if got := runOK(t, "openapi", "--spec", yamlFile); !bytes.Equal(got, yamlDoc) {
		t.Error("a YAML --spec is not printed as it is")
	}
}

// TestOpenAPIRefuses: what serve would refuse is not printed.
func TestOpenAPIRefuses(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "v2.yaml")
	writeFileIn(t, filepath.Dir(bad), "v2.yaml", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"openapi", "--format", "xml"}, `--format (VERBEX_MOCK_OPENAPI_FORMAT): "xml": want yaml or json`},
		{[]string{"openapi", "--spec", bad}, bad + ": spec: invalid document"},
		{[]string{"openapi", "--spec", "/nonexistent.yaml"}, "/nonexistent.yaml"},
		{[]string{"openapi", "extra"}, `openapi takes no arguments, got "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr, env())
		if code != exitUsage || stdout.Len() != 0 || !bytes.Contains(stderr.Bytes(), []byte(tt.want)) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want 2 and %q", tt.args, code, stdout.Len(), stderr.String(), tt.want)
		}
	}
}
