package genclient_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/docs/examples/genclient"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// newClient is a generated client for the test's own session of a shared fake.
func newClient(t *testing.T, fake *mocktest.Server) (*mocktest.Handle, *genclient.ClientWithResponses) {
	t.Helper()
	h := fake.For(t)
	c, err := genclient.NewClientWithResponses(h.URL, genclient.WithHTTPClient(h.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

// TestTypedBodyIsSentEmpty shows the upstream bug (oapi-codegen issue 2498): the
// typed request body is a defined type over the union, so it loses the union's
// MarshalJSON and every typed update sends {}. The 200 that comes back changed
// nothing. If this test starts failing, the bug is fixed: update the README.
func TestTypedBodyIsSentEmpty(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	h, c := newClient(t, fake)
	id := fake.IDs["sip"][0]
	var body genclient.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchJSONRequestBody
	name := "Front desk"
	if err := (*genclient.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchJSONBody)(&body).FromUpdateSIPPhoneNumberRequest(genclient.UpdateSIPPhoneNumberRequest{FriendlyName: &name}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchWithResponse(context.Background(), id, body)
	if err != nil {
		t.Fatal(err)
	}
	if sent := h.Requests()[0].Body; resp.StatusCode() != 200 || sent != "{}" {
		t.Errorf("sent %s, got %d: the typed body is no longer empty?", sent, resp.StatusCode())
	}
	if got := h.Field(id, "friendly_name"); got == name {
		t.Errorf("friendly_name changed: the typed body works now")
	}
}

// update sends a body through the generated client's WithBody variant, which sends
// the bytes it is given.
func update(t *testing.T, c *genclient.ClientWithResponses, id string, body []byte) *genclient.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchResponse {
	t.Helper()
	resp, err := c.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchWithBodyWithResponse(context.Background(), id, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body)
	}
	return resp
}

// TestUpdateAndClear: set a field with the typed models (marshalled as the union
// type, which keeps its MarshalJSON), clear one with an explicit null (a *string
// with omitempty cannot say null), and read the 200 by its provider.
func TestUpdateAndClear(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	h, c := newClient(t, fake)
	id := fake.IDs["sip"][0]

	// Update: build the typed body, marshal it as the union type, send it WithBody.
	var union genclient.UpdatePhoneNumberV1PhoneNumbersPhoneNumberIdPatchJSONBody
	name := "Front desk"
	if err := union.FromUpdateSIPPhoneNumberRequest(genclient.UpdateSIPPhoneNumberRequest{FriendlyName: &name}); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(union)
	if err != nil {
		t.Fatal(err)
	}
	update(t, c, id, body)
	if got := h.Field(id, "friendly_name"); got != name {
		t.Errorf("friendly_name = %v, want %q", got, name)
	}

	// Clear: null has to be written out; a map (or json.RawMessage) says it.
	body, _ = json.Marshal(map[string]any{"outbound_agent_id": nil})
	resp := update(t, c, id, body)
	if got := h.Field(id, "outbound_agent_id"); got != nil {
		t.Errorf("outbound_agent_id = %v, want cleared", got)
	}

	// The 200 is a union of the providers' shapes: read "provider", then the branch.
	var head struct {
		Provider string `json:"provider"`
	}
	if err := json.Unmarshal(resp.Body, &head); err != nil {
		t.Fatal(err)
	}
	switch head.Provider {
	case "sip":
		sip, err := resp.JSON200.AsGetSIPPhoneNumberResponse()
		if err != nil {
			t.Fatal(err)
		}
		if sip.FriendlyName == nil || *sip.FriendlyName != name || sip.OutboundAgentId != nil {
			t.Errorf("SIP record %+v", sip)
		}
	case "pia":
		_, err = resp.JSON200.AsGetPiaPhoneNumberResponse()
	case "twilio":
		_, err = resp.JSON200.AsGetTwilioPhoneNumberResponse()
	default:
		t.Fatalf("provider %q", head.Provider)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestGeneratedFromTheServedDocument: the checked-in openapi.json is what the fake
// serves; when it is not, regenerate (go generate) and check in both.
func TestGeneratedFromTheServedDocument(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	resp, err := fake.Client().Get(fake.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	served, _ := io.ReadAll(resp.Body)
	checkedIn, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(served) != string(checkedIn) {
		t.Error("openapi.json differs from the fake's /openapi.json: run go generate in docs/examples/genclient")
	}
}
