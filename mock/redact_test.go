package mock

import (
	"net/http"
	"strings"
	"testing"
)

// TestJournalKeepsNoSecretEvenUnread: an entry is redacted when it is captured, not
// when it is first read: what the journal holds in memory has no secret in clear, in the
// request's body, headers and query or in the answer (the 422 echoing it).
func TestJournalKeepsNoSecretEvenUnread(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	const secret = "kept-nowhere-42"
	for _, r := range []req{
		{method: http.MethodPatch, path: "/v1/phone-numbers/" + sipID + "?key=" + secret, contentType: "application/x-www-form-urlencoded",
			body: []byte("sip_trunk_password=" + secret), header: http.Header{"X-Auth": {secret}, "Referer": {"https://a/?token=" + secret}}},
		patch(sipID, `{"sip_trunk_password":["`+secret+`"]}`),
		patch(sipID, `{"sip_trunk_\u0070assword":"`+secret+`"}`),
	} {
		serve(t, s, r, false)
	}
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	kept := 0
	for _, l := range s.journal.logs {
		for i := range l.n {
			en := *l.at(i)
			kept++
			if en.raw != nil {
				en.fill() // a copy: what the kept bytes become when first read
			}
			text := en.Body + en.ResponseBody + en.Query
			for k, vs := range en.Header {
				text += k + strings.Join(vs, "")
			}
			if strings.Contains(text, secret) {
				t.Errorf("entry %d holds the secret: %+v", en.Seq, en.JournalEntry)
			}
			if size := entrySize(&en.JournalEntry); size != en.size {
				t.Errorf("entry %d counts %d bytes, holds %d", en.Seq, en.size, size)
			}
		}
	}
	if kept != 3 {
		t.Errorf("the journal keeps %d entries, want 3", kept)
	}
}
