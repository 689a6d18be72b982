package mocktest_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// TestHelpersShareSignatures: a helper on the server has the handle's signature, so
// code moves between the two styles unchanged (the embedded mock.Server's
// two-value PhoneNumber must not show through). Session is the one exception: the
// server's takes the name of any session, the handle's is its own.
func TestHelpersShareSignatures(t *testing.T) {
	t.Parallel()
	server, handle := reflect.TypeFor[*mocktest.Server](), reflect.TypeFor[*mocktest.Handle]()
	shared := 0
	for i := range handle.NumMethod() {
		hm := handle.Method(i)
		sm, ok := server.MethodByName(hm.Name)
		if !ok || hm.Name == "Session" {
			continue
		}
		shared++
		// Compare without the receiver.
		if hs, ss := hm.Type.String(), sm.Type.String(); strings.TrimPrefix(hs, "func(*mocktest.Handle") != strings.TrimPrefix(ss, "func(*mocktest.Server") {
			t.Errorf("%s: the handle's is %s, the server's %s", hm.Name, hs, ss)
		}
	}
	for _, name := range []string{"Patch", "TryPatch", "AddFault", "SetState", "Field", "PhoneNumber", "ID", "Requests", "Reset", "Client"} {
		if _, ok := server.MethodByName(name); !ok {
			t.Errorf("the server has no %s", name)
		}
		if _, ok := handle.MethodByName(name); !ok {
			t.Errorf("a handle has no %s", name)
		}
	}
	if shared < 10 {
		t.Errorf("only %d helpers compared", shared)
	}
	// The one-value form compiles on both.
	fake := mocktest.NewServer(t, mock.Options{})
	var _ mock.PhoneNumber = fake.PhoneNumber(fake.ID("sip"))
	var _ mock.PhoneNumber = fake.For(t).PhoneNumber(fake.ID("sip"))
}

// TestHandleReset: Reset restores the handle's session and leaves the others alone.
func TestHandleReset(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.ID("sip")
	before := fake.Field(id, "friendly_name")
	h, other := fake.For(t), fake.For(t)
	h.Patch(id, `{"friendly_name":"changed"}`)
	other.Patch(id, `{"friendly_name":"kept"}`)
	h.AddFault(mock.FaultRule{Status: 500})
	h.Reset()
	if got := h.Field(id, "friendly_name"); got != before {
		t.Errorf("after Reset friendly_name = %v, want %v", got, before)
	}
	if n := len(h.Requests()); n != 0 {
		t.Errorf("after Reset the journal has %d requests", n)
	}
	if status, body := h.Patch(id, `{}`); status != 200 {
		t.Errorf("after Reset the fault still fires: %d %s", status, body)
	}
	if got := other.Field(id, "friendly_name"); got != "kept" {
		t.Errorf("another session changed: %v", got)
	}
	// The server's Reset is the default session's.
	fake.Patch(id, `{"friendly_name":"default"}`)
	fake.Reset()
	if got := fake.Field(id, "friendly_name"); got != before {
		t.Errorf("after fake.Reset friendly_name = %v", got)
	}
	if got := other.Field(id, "friendly_name"); got != "kept" {
		t.Errorf("fake.Reset dropped a handle's session: %v", got)
	}
}

// TestIDNamesTheProviders: an unknown provider fails the test naming the valid
// ones, instead of an index out of range.
func TestIDNamesTheProviders(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	if got, want := fake.ID("pia"), fake.IDs["pia"][0]; got != want {
		t.Errorf("ID(pia) = %q, want %q", got, want)
	}
	for _, call := range []func(rt *recT){
		func(rt *recT) { fake.For(rt).ID("SIP") },
		func(rt *recT) { mocktest.NewServer(rt, mock.Options{}).ID("SIP") },
	} {
		reached := false
		rt := runRec(t, "TestID", func(rt *recT) { call(rt); reached = true })
		if reached {
			t.Error("ID did not stop the test")
		}
		want := `ID("SIP"): no seeded phone number has provider "SIP"; did you mean "sip"? (the providers: "pia", "sip", "twilio")`
		if !strings.Contains(rt.errorText(), want) {
			t.Errorf("error %q lacks %q", rt.errorText(), want)
		}
	}
}

// TestAddFaultUndocumentedStatus: 429, 502 and 503 get one message with the one way
// that works, in Go's field names; following it works.
func TestAddFaultUndocumentedStatus(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	for _, rule := range []mock.FaultRule{
		{Status: 429},
		{Status: 502, Body: json.RawMessage(`{"error":"bad_gateway","message":"upstream"}`)},
		{Status: 503, RawBody: "<html>unavailable</html>"},
	} {
		rt := runRec(t, "TestFault", func(rt *recT) { fake.For(rt).AddFault(rule) })
		msg := rt.errorText()
		for _, w := range []string{"is not one the document lists (200, 404, 422, 500)", "set OffDocument: true", "Body (JSON", "RawBody (any bytes)"} {
			if !strings.Contains(msg, w) {
				t.Errorf("status %d: message lacks %q: %s", rule.Status, w, msg)
			}
		}
		if strings.Contains(msg, "conformance") || strings.Contains(msg, "off_document") {
			t.Errorf("status %d: message speaks another language: %s", rule.Status, msg)
		}
	}
	h := fake.For(t)
	h.AddFault(mock.FaultRule{Status: 503, OffDocument: true, Body: json.RawMessage(`{"error":"unavailable"}`)})
	if status, body := h.Patch(fake.ID("sip"), `{}`); status != 503 || body != `{"error":"unavailable"}` {
		t.Errorf("the rule the message asks for: %d %s", status, body)
	}
}

// TestTryPatchSeesConnectionFaults: TryPatch returns a reset as an error without
// failing the test; Patch fails the test and points at TryPatch.
func TestTryPatchSeesConnectionFaults(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.ID("sip")
	rt := runRec(t, "TestReset", func(rt *recT) {
		h := fake.For(rt)
		h.AddFault(mock.FaultRule{Connection: mock.ConnReset, Times: 1})
		status, body, err := h.TryPatch(id, `{}`)
		if status != 0 || body != "" || err == nil {
			rt.Errorf("TryPatch after a reset: %d %q %v", status, body, err)
		}
		if status, _, err := h.TryPatch(id, `{}`); status != 200 || err != nil {
			rt.Errorf("TryPatch after the fault: %d %v", status, err)
		}
	})
	if rt.Failed() {
		t.Errorf("TryPatch failed the test: %s", rt.errorText())
	}
	rt = runRec(t, "TestPatch", func(rt *recT) {
		h := fake.For(rt)
		h.AddFault(mock.FaultRule{Connection: mock.ConnReset})
		h.Patch(id, `{}`)
	})
	if !strings.Contains(rt.errorText(), "use TryPatch") {
		t.Errorf("Patch on a reset: %q", rt.errorText())
	}
}

// TestJournalShowsTheAnswer: the journal a failed test logs has each answer's body,
// a 422's detail included, its secrets redacted.
func TestJournalShowsTheAnswer(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	rt := runRec(t, "TestAnswer", func(rt *recT) {
		h := fake.For(rt)
		h.Patch(fake.ID("sip"), `{"friendly_name":5}`)
		h.Patch(fake.ID("sip"), `{"sip_trunk_password":"hunter2"}`)
		rt.Errorf("fails")
	})
	log := rt.logText()
	for _, w := range []string{`answer: {"detail":[`, `"friendly_name"`, `answer: {`, `"sip_trunk_password":"[REDACTED]"`} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("log shows the secret:\n%s", log)
	}
}

// TestSetStateIsTyped: the ids a state made come as fields, no type assertions.
func TestSetStateIsTyped(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	h := fake.For(t)
	made := h.SetState("a Twilio number exists", map[string]any{"friendly_name": "Ops"})
	if made.PhoneNumberID == "" || made.Provider != "twilio" || !strings.HasPrefix(made.PhoneNumber, "+") {
		t.Errorf("state: %+v", made)
	}
	if got := h.PhoneNumber(made.PhoneNumberID).Fields["friendly_name"]; got != "Ops" {
		t.Errorf("the number made: friendly_name %v", got)
	}
	fails := h.SetState("the next update fails", map[string]any{"status": 404})
	if fails.FaultID == "" || fails.Status != 404 || fails.Vars["fault_id"] != fails.FaultID {
		t.Errorf("state: %+v", fails)
	}
	if status, _ := h.Patch(made.PhoneNumberID, `{}`); status != 404 {
		t.Errorf("the next update: %d", status)
	}
}

// TestDelayTakesADuration: Delay is a time.Duration in Go and "250ms" or a number of
// milliseconds in JSON and YAML.
func TestDelayTakesADuration(t *testing.T) {
	t.Parallel()
	wait := 20 * time.Millisecond
	fake := mocktest.NewServer(t, mock.Options{})
	h := fake.For(t)
	added := h.AddFault(mock.FaultRule{Status: 500, Delay: wait, Times: 1})
	if added.Delay != wait {
		t.Errorf("Delay %v", added.Delay)
	}
	h.Patch(fake.ID("sip"), `{}`)
	if e := h.Requests()[0]; e.DurationMS < 20 {
		t.Errorf("the answer took %.1f ms, want the delay", e.DurationMS)
	}
	b, err := json.Marshal(added)
	if err != nil || !strings.Contains(string(b), `"delay":"20ms"`) {
		t.Errorf("JSON %s %v", b, err)
	}
	var back mock.FaultRule
	if err := json.Unmarshal(b, &back); err != nil || back.Delay != wait || back.Status != 500 {
		t.Errorf("read back %+v %v", back, err)
	}
	for src, want := range map[string]time.Duration{
		`[{"status":500,"delay":250}]`:    250 * time.Millisecond,
		`[{"status":500,"delay":"1.5s"}]`: 1500 * time.Millisecond,
		"- status: 500\n  delay: 250ms\n": 250 * time.Millisecond,
	} {
		rules, err := mock.ParseFaults([]byte(src))
		if err != nil || len(rules) != 1 || rules[0].Delay != want {
			t.Errorf("%s: %v %v", src, rules, err)
		}
	}
	var listed struct{ Faults []mock.FaultStatus }
	h.AddFault(mock.FaultRule{Status: 500, Delay: wait, Times: 2})
	b, _ = json.Marshal(map[string]any{"faults": h.Session().Faults()})
	if err := json.Unmarshal(b, &listed); err != nil || len(listed.Faults) != 2 || listed.Faults[1].Delay != wait || listed.Faults[1].Fired != 0 || *listed.Faults[1].Remaining != 2 {
		t.Errorf("faults listed as %s: %+v %v", b, listed, err)
	}
}
