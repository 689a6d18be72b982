package mock

import (
	"fmt"
	"slices"
	"testing"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// TestRecordRedactedAsText: the journal's copy of a record answer, written by field,
// is byte for byte what redacting the answer as text makes of it, whatever the
// record's values hold (secrets in text, in nested values, nulls, quotes, escapes).
func TestRecordRedactedAsText(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	values := []pyjson.Value{
		pyjson.StringValue("s3cr3t-value"),
		pyjson.StringValue("x"),
		pyjson.StringValue(""),
		pyjson.NullValue(),
		pyjson.NumberValue("1"),
		pyjson.BoolValue(true),
		pyjson.StringValue("password=hunter2&a=1"),
		pyjson.StringValue("Authorization: Bearer abc"),
		pyjson.StringValue(`{"token":"t0k"}`),
		pyjson.StringValue("{'pwd': 'p'}"),
		pyjson.StringValue("quote \" backslash \\ \u2028 \x01 é"),
		pyjson.StringValue("sip_trunk_password"),
		pyjson.ObjectValue([]pyjson.Member{{Key: "api_key", Value: pyjson.StringValue("k")}, {Key: "n", Value: pyjson.NumberValue("2")}}),
		pyjson.ArrayValue([]pyjson.Value{pyjson.StringValue("key=v"), pyjson.NullValue()}),
	}
	for _, p := range s.doc.Providers {
		for shift := range values {
			vals := make([]pyjson.Value, len(p.Fields))
			for i := range vals {
				vals[i] = values[(i+shift)%len(values)]
			}
			t.Run(fmt.Sprintf("%s/%d", p.Title, shift), func(t *testing.T) {
				answer, ends, err := p.AppendRecordEnds([]byte("before"), vals, nil)
				if err != nil {
					t.Fatal(err)
				}
				answer = answer[len("before"):]
				want := string(protocol.AppendRedacted(nil, string(answer)))
				got := string(appendRecordRedacted([]byte("pre"), answer, recordLayout{s.shapes[p], ends}))
				if got != "pre"+want {
					t.Errorf("by field:\n%s\nas text:\n%s", got[3:], want)
				}
			})
		}
	}
	// Ends that do not make this record: the answer is redacted as text.
	p := s.doc.Providers[0]
	answer, ends, err := p.AppendRecordEnds(nil, make([]pyjson.Value, len(p.Fields)), nil)
	if err != nil {
		t.Fatal(err)
	}
	short := []byte(`{"sip_trunk_password":"x"}`)
	shifted := slices.Clone(ends)
	shifted[0]--
	other := slices.Clone(answer)
	other[1] = 'X' // a key not the shape's
	for name, c := range map[string]struct {
		answer []byte
		ends   []int32
	}{
		"no ends": {answer, nil}, "too few": {answer, ends[1:]}, "not its text": {short, ends},
		"a value cut short": {answer, shifted}, "another key": {other, ends},
	} {
		want := string(protocol.AppendRedacted(nil, string(c.answer)))
		if got := string(appendRecordRedacted(nil, c.answer, recordLayout{s.shapes[p], c.ends})); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}
