package mocktest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// maxLoggedBody bounds each body in a failed test's log: enough to see what was
// sent, short enough that twenty requests stay readable.
const maxLoggedBody = 2 << 10

// logJournal writes the session's last n requests to the test's log, secrets
// redacted, so that a failure in CI explains itself.
func (h *Handle) logJournal(n int) {
	h.t.Helper()
	entries := h.Requests()
	if len(entries) == 0 {
		return
	}
	var b strings.Builder
	session := "the default session"
	if h.SessionName != "" {
		session = fmt.Sprintf("session %q", h.SessionName)
	}
	shown := entries[max(0, len(entries)-n):]
	fmt.Fprintf(&b, "mocktest: the fake's last %d of %d requests in %s (secrets redacted):", len(shown), len(entries), session)
	for _, e := range shown {
		writeEntry(&b, e)
	}
	h.t.Log(b.String())
}

func writeEntry(b *strings.Builder, e mock.JournalEntry) {
	target := e.Path
	if e.Query != "" {
		target += "?" + protocol.RedactQuery(e.Query)
	}
	status := fmt.Sprint(e.Status)
	if e.Status == 0 {
		status = "no answer (connection broken)"
	}
	fmt.Fprintf(b, "\n  #%d %s %s → %s, body %s", e.Seq, e.Method, target, status, e.Validation)
	if e.Fault != "" {
		fmt.Fprintf(b, ", fault %s", e.Fault)
	}
	fmt.Fprintf(b, " (%.1f ms)", e.DurationMS)
	header := protocol.RedactHeader(e.Header)
	keys := make([]string, 0, len(header))
	for k := range header {
		// The transport's own headers say nothing about the test.
		if k != "Accept-Encoding" && k != "Content-Length" && k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "\n      %s: %s", k, strings.Join(header[k], ", "))
	}
	writeBody(b, "body", e.Body, e.BodyTruncated)
	writeBody(b, "answer", e.ResponseBody, e.ResponseBodyTruncated)
}

// writeBody logs a request or answer body, secrets redacted, cut at maxLoggedBody.
func writeBody(b *strings.Builder, label, body string, truncated bool) {
	if body == "" {
		return
	}
	body = redactBody(body)
	if len(body) > maxLoggedBody {
		body = body[:maxLoggedBody] + "…"
	} else if truncated {
		body += "…"
	}
	fmt.Fprintf(b, "\n      %s: %s", label, body)
}

// redactBody replaces the values of secret keys (protocol.SecretKey) at any depth of
// a JSON body. A body that is not JSON is shown only when no secret's name appears
// in it (protocol.MayHoldSecret, the one list): a log line is no place to guess.
func redactBody(body string) string {
	v, err := pyjson.Decode([]byte(body))
	if err == nil {
		if out, err := pyjson.Marshal(redactValue(v)); err == nil {
			return string(out)
		}
	}
	if protocol.MayHoldSecret(body) {
		return fmt.Sprintf("(%d bytes that are not JSON and may hold a secret: not shown)", len(body))
	}
	return body
}

func redactValue(v pyjson.Value) pyjson.Value {
	return v.ReplaceMembers(func(key string, val pyjson.Value) (pyjson.Value, bool) {
		if protocol.SecretKey(key) && val.Kind != pyjson.Null {
			return pyjson.StringValue(protocol.Redacted), true
		}
		return val, false
	})
}
