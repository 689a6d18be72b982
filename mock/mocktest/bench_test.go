package mocktest_test

import (
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// BenchmarkNewServerFirstPatch is what one test pays for its own fake: NewServer
// and its first PATCH, with the self-check on (the default) and off. The first
// check builds the document's response validator; issue 13's target is under 5 ms
// with it on.
func BenchmarkNewServerFirstPatch(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []mocktest.Option
	}{
		{"self-check on", nil},
		{"self-check off", []mocktest.Option{mocktest.SelfCheck(false)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				fake := mocktest.NewServer(b, mock.Options{}, bc.opts...)
				if status, body := fake.Patch(fake.IDs["sip"][0], `{"friendly_name":"bench"}`); status != 200 {
					b.Fatalf("PATCH: %d %s", status, body)
				}
				fake.Close() // now, not at the end of the benchmark
			}
		})
	}
}

// BenchmarkPatch is a later PATCH on a running fake, for comparison.
func BenchmarkPatch(b *testing.B) {
	fake := mocktest.NewServer(b, mock.Options{})
	id := fake.IDs["sip"][0]
	fake.Patch(id, `{}`) // builds the validator
	for b.Loop() {
		if status, _ := fake.Patch(id, `{"friendly_name":"bench"}`); status != 200 {
			b.Fatal(status)
		}
	}
}
