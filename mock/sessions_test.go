package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
)

// listSessions asks GET /__admin/sessions and decodes it strictly, in the agreed shape.
func listSessions(t testing.TB, s *Server) []SessionInfo {
	t.Helper()
	got := serve(t, s, req{method: http.MethodGet, path: "/__admin/sessions"}, false)
	if got.status != http.StatusOK {
		t.Fatalf("GET /__admin/sessions: %d %s", got.status, got.body)
	}
	var list struct {
		Sessions []SessionInfo `json:"sessions"`
	}
	if err := decodeStrict([]byte(got.body), &list); err != nil {
		t.Fatalf("GET /__admin/sessions: %v in %s", err, got.body)
	}
	return list.Sessions
}

func TestAdminSessions(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxSessions: 3})
	serve(t, s, patch(sipID, `{"friendly_name":"default"}`), false)
	serve(t, s, inSession("old", patch(sipID, `{"friendly_name":"old"}`)), false)
	serve(t, s, adminPost("/__admin/faults?session=new", `{"status":500,"match":{"phone_number_id":"x"}}`), false)
	serve(t, s, inSession("new", patch(piaID, `{"friendly_name":"new"}`)), false)

	list := listSessions(t, s)
	var names []string
	for _, si := range list {
		names = append(names, si.Name)
	}
	if got, want := fmt.Sprintf("%q", names), `["" "new" "old"]`; got != want {
		t.Fatalf("sessions %s, want %s: the default first, then most recently used first", got, want)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for _, si := range list {
		if !stamp.MatchString(si.LastUsed) {
			t.Errorf("%q last_used %q, want UTC with milliseconds", si.Name, si.LastUsed)
		}
		entries := s.Session(si.Name).Requests()
		if si.JournalEntries != len(entries) || si.JournalEntries == 0 || si.JournalBytes < int64(len(entries[0].Body)) {
			t.Errorf("%q: %d entries of %d bytes; the journal holds %d", si.Name, si.JournalEntries, si.JournalBytes, len(entries))
		}
		if si.StateBytes <= 0 {
			t.Errorf("%q holds a changed number but state_bytes is %d", si.Name, si.StateBytes)
		}
	}
	if list[1].FaultRules != 1 || list[2].FaultRules != 0 {
		t.Errorf("fault_rules %d and %d, want 1 and 0", list[1].FaultRules, list[2].FaultRules)
	}
	// The field names are the agreed ones.
	raw := serve(t, s, req{method: http.MethodGet, path: "/__admin/sessions"}, false).body
	var generic struct {
		Sessions []map[string]json.RawMessage `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "journal_entries", "journal_bytes", "state_bytes", "fault_rules", "last_used"} {
		if _, ok := generic.Sessions[0][k]; !ok || len(generic.Sessions[0]) != 6 {
			t.Errorf("entry %s lacks %q or has other fields", raw, k)
		}
	}
	// Bounded by --max-sessions, plus the default.
	for _, n := range []string{"a", "b", "c", "d"} {
		serve(t, s, inSession(n, patch(sipID, `{}`)), false)
	}
	if n := len(listSessions(t, s)); n != 4 {
		t.Errorf("%d sessions listed, want at most --max-sessions + 1 = 4", n)
	}
	if got := serve(t, s, req{method: http.MethodPost, contentType: "application/json", path: "/__admin/sessions"}, false); got.status != 405 {
		t.Errorf("POST /__admin/sessions: %d, want 405", got.status)
	}
}

func TestAdminResetAll(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	serve(t, s, patch(sipID, `{"friendly_name":"default"}`), false)
	for _, n := range []string{"a", "b"} {
		serve(t, s, inSession(n, patch(sipID, `{"friendly_name":"`+n+`"}`)), false)
		serve(t, s, adminPost("/__admin/faults?session="+n, `{"status":500,"match":{"phone_number_id":"x"}}`), false)
	}
	for _, bad := range []string{"/__admin/reset?all=yes", "/__admin/reset?all=true&session=a"} {
		if got := serve(t, s, adminPost(bad, ``), false); got.status != 400 {
			t.Errorf("%s: %d %s, want 400", bad, got.status, got.body)
		}
	}
	if got := serve(t, s, adminPost("/__admin/reset?all=true", ``), false); got.status != 204 {
		t.Fatalf("reset all: %d %s", got.status, got.body)
	}
	list := listSessions(t, s)
	if len(list) != 1 || list[0].JournalEntries != 0 || list[0].StateBytes != 0 {
		t.Errorf("after reset all: %+v, want the default session alone and empty", list)
	}
	if used := s.state.used.Load(); used != 0 {
		t.Errorf("the state budget holds %d bytes after reset all", used)
	}
	if pn, _ := s.PhoneNumber(sipID); pn.Fields["friendly_name"] == "default" {
		t.Error("the default session was not reset")
	}
}
