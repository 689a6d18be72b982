//go:build !(linux && (amd64 || arm64))

package mock

import "net"

// clientLeft cannot look at the connection here: a waiting request ends when its wait
// does.
func clientLeft(net.Conn) bool { return false }

// seesClientLeave says clientLeft can tell.
const seesClientLeave = false
