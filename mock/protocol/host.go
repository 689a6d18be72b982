package protocol

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// CodeHostNotAllowed: an admin route was asked through a Host it does not answer
// (403), on the fake and on the drift proxy alike.
const CodeHostNotAllowed = "host_not_allowed"

// AdminHostAllowed reports whether a request's Host may reach the admin routes:
// nil allowed lets every Host in; otherwise the name, without its port and IPv6
// brackets, must be one of allowed, in any case. A web page that reaches a loopback
// server through DNS rebinding sends its own name, and is refused.
func AdminHostAllowed(allowed []string, host string) bool {
	if allowed == nil {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return slices.ContainsFunc(allowed, func(h string) bool { return strings.EqualFold(h, host) })
}

// HostRefused is the 403 body for a Host the admin routes do not answer; hint says
// how to allow it ("" for none).
func HostRefused(host, hint string) ErrorResponse {
	msg := "The admin routes do not answer Host " + QuoteName(host)
	if hint != "" {
		msg += "; " + hint
	}
	return ErrorResponse{Error: CodeHostNotAllowed, Message: msg + "."}
}

// QuoteName quotes a client-chosen name for messages and logs, cut to a readable
// size.
func QuoteName(name string) string {
	const keep = 64
	if len(name) <= keep {
		return strconv.Quote(name)
	}
	return strconv.Quote(name[:keep]) + fmt.Sprintf("…(%d bytes)", len(name))
}
