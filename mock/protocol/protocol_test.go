package protocol

import (
	"net/http"
	"testing"
)

func TestSecretHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "authorization": true, "Proxy-Authorization": true, "Cookie": true,
		"X-Api-Key": true, "Api-Key": true, "X-Auth-Token": true, "x-auth-token": true,
		"Content-Type": false, "X-Verbex-Mock-Session": false, "Keyboard": false, "X-Token-Count": true,
		"apikey": true, "Token": true, "X-Auth": true, "X-Forwarded-Authorization": true, "Set-Cookie": true,
		"Author": false, "Accept": false, "User-Agent": false,
	} {
		if got := SecretHeader(name); got != want {
			t.Errorf("SecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSecretKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"sip_trunk_password": true, "twilio_auth_token": true, "api_key": true, "token": true, "client_secret": true,
		"friendly_name": false, "sip_trunk_username": false, "twilio_account_sid": false, "_id": false,
	} {
		if got := SecretKey(key); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestRedactHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{"Authorization": {"Bearer s3cret"}, "X-Auth-Token": {"t0k"}, "Content-Type": {"application/json"}}
	got := RedactHeader(h)
	if got.Get("Authorization") != Redacted || got.Get("X-Auth-Token") != Redacted {
		t.Errorf("secrets kept: %v", got)
	}
	if got.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type changed: %v", got)
	}
	if h.Get("Authorization") != "Bearer s3cret" {
		t.Error("the original header was changed")
	}
}

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"":                         "",
		"session=a":                "session=a",
		"api_key=abc&session=a":    "api_key=%5BREDACTED%5D&session=a",
		"token=x&flag":             "token=%5BREDACTED%5D&flag",
		"access%5Ftoken=x&b=c":     "access%5Ftoken=%5BREDACTED%5D&b=c",
		"twilio_auth_token=s3cret": "twilio_auth_token=%5BREDACTED%5D",
	} {
		if got := RedactQuery(raw); got != want {
			t.Errorf("RedactQuery(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestProviderStateName(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{"sip": "a SIP number exists", "pia": "a Pia number exists", "twilio": "a Twilio number exists", "vonage": "a Vonage number exists"} {
		if got := ProviderStateName(p); got != want {
			t.Errorf("ProviderStateName(%q) = %q, want %q", p, got, want)
		}
	}
}
