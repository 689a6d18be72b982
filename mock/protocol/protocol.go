package protocol

import (
	"fmt"
	"strings"
)

// SessionHeader names the session a request belongs to; admin routes also take
// ?session= (SessionQuery).
const (
	SessionHeader = "X-Verbex-Mock-Session"
	SessionQuery  = "session"
)

// StatesPath is where the fake serves the provider-state route.
const StatesPath = "/__admin/states"

// Provider states every implementation of the route may serve, beyond the
// per-provider ProviderStateName states.
const (
	// StateNoPhoneNumber answers an id that no phone number has. Params:
	// phone_number_id (optional, an id to make free). Returns: phone_number_id.
	StateNoPhoneNumber = "no phone number has the id"
	// StateNextUpdateFails makes the next PATCH answer a status once. Params: status
	// (404, 422 or 500; default 500), phone_number_id (optional). Returns: fault_id,
	// status.
	StateNextUpdateFails = "the next update fails"
	// StatePhoneNumberStored stores the record given as params exactly as it is (every
	// field of its provider's Get…Response schema, _id and provider included),
	// replacing a number with the same _id. Returns: phone_number_id, phone_number,
	// provider. The contract runner uses it to give the fake the same state as a target.
	StatePhoneNumberStored = "the phone number is stored as given"
)

// ProviderStateName is the state that makes a number of the provider exist, named
// from the provider's name: "a SIP number exists", "a Pia number exists", "a Twilio
// number exists"; for other providers the name with its first letter in upper case.
// Implementations that read the document name the state from the response schema's
// title instead (StateName with the title's label), and serve this name too when it
// differs.
func ProviderStateName(provider string) string {
	label := map[string]string{"sip": "SIP", "pia": "Pia", "twilio": "Twilio"}[provider]
	if label == "" && provider != "" {
		label = strings.ToUpper(provider[:1]) + provider[1:]
	}
	return StateName(label)
}

// StateName is the state that makes a number of the provider with this label exist:
// "a Vonage number exists".
func StateName(label string) string { return fmt.Sprintf("a %s number exists", label) }

// StateRequest is the body of POST StatesPath.
type StateRequest struct {
	State  string         `json:"state"`
	Params map[string]any `json:"params,omitempty"`
}

// StateInfo describes one state in the answer to GET StatesPath.
type StateInfo struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Params      map[string]string `json:"params"`
	Returns     []string          `json:"returns"`
}

// StateList is the answer to GET StatesPath.
type StateList struct {
	States []StateInfo `json:"states"`
}

// Error codes of the admin routes, in the ErrorResponse shape {"error", "message"}.
const (
	// CodeUnknownState: POST StatesPath named a state the implementation cannot
	// provide (400). A runner skips the scenario rather than failing it.
	CodeUnknownState = "unknown_state"
	// CodeInvalidStateParams: the state exists but its params are wrong (400).
	CodeInvalidStateParams = "invalid_state_params"
	// CodeInvalidAdminRequest: an admin body that is not what the route takes (400).
	CodeInvalidAdminRequest = "invalid_admin_request"
	// CodeInvalidFaultRequest: a fault rule or fault header that cannot be used (400).
	CodeInvalidFaultRequest = "invalid_fault_request"
	// CodeFaultNotFound: no fault rule has the id (404).
	CodeFaultNotFound = "fault_not_found"
)

// ErrorResponse is the admin routes' error body, the same shape as the API's.
type ErrorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}
