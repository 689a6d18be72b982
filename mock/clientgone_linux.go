//go:build linux && (amd64 || arm64)

package mock

import (
	"net"
	"syscall"
	"unsafe"
)

// TCP states of Linux's include/net/tcp_states.h past which the peer has sent its FIN
// or the connection is over.
const (
	tcpClose     = 7
	tcpCloseWait = 8
	tcpLastAck   = 9
)

// clientLeft reports whether the peer of a TCP connection has closed its side or the
// connection is gone, without reading from it (bytes it sent may still be unread).
func clientLeft(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return true
	}
	var info syscall.TCPInfo
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		size := uint32(unsafe.Sizeof(info))
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	}); err != nil {
		return true // closed
	}
	if errno != 0 {
		return false
	}
	switch info.State {
	case tcpClose, tcpCloseWait, tcpLastAck:
		return true
	}
	return false
}

// seesClientLeave says clientLeft can tell.
const seesClientLeave = true
