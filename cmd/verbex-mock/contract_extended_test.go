package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
)

// TestContractRunExtendedDocument: `contract run` against the fake serving a document
// with a fourth provider (Vonage: a boolean, bounded integers, enums, a pattern, length
// bounds, an array, a nested model) and the seed's fixtures, which have no Vonage
// number. The fake starts, generates one, and the run passes, with generation on,
// through the states route and through --id for the provider the fixtures lack. The
// embedded scenarios whose 422 bodies list the seed's three branches are skipped with
// the reason; every answer the fake sends is checked against the document.
func TestContractRunExtendedDocument(t *testing.T) {
	t.Parallel()
	const specFile = "../../mock/testdata/extended.yaml"
	doc, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args func(vonageID string) []string
		want []string
	}{
		{"with states", func(string) []string {
			return []string{"--states", "/__admin/states", "--generate", "150", "--seed", "12"}
		}, []string{"24 passed, 0 failed, 5 skipped, 0 errors; generated (seed 12): 151 passed, 0 failed",
			"this one also has request branch UpdateVonagePhoneNumberRequest"}},
		{"with --id for the provider the fixtures lack", func(id string) []string {
			return []string{"--id", "vonage=" + id, "--generate", "60", "--seed", "13", "--allow-partial"}
		}, []string{"generated (seed 13): 61 passed, 0 failed", "restore "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, err := mock.New(mock.Options{Spec: doc, SelfCheck: true, SelfCheckFailed: func(f mock.SelfCheckFailure) {
				t.Errorf("the fake answered %s %s with %d off the document: %v", f.Method, f.Path, f.Status, f.Problems)
			}})
			if err != nil {
				t.Fatal(err)
			}
			ids := fake.SeededIDs()["vonage"]
			if len(ids) != 1 {
				t.Fatalf("Vonage numbers %v, want one generated", ids)
			}
			ts := httptest.NewServer(fake)
			t.Cleanup(ts.Close)
			args := append([]string{"contract", "run", "--target", ts.URL, "--spec", specFile, "--rate", "0"}, tt.args(ids[0])...)
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, &stdout, &stderr, env()); code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}
