// Package testenv starts the real servers tests run against (versitygw,
// nfs-ganesha, Samba, Azurite, ...) on 127.0.0.1 with free ports and temp
// directories, and stops them when the test ends.
package testenv

import (
	"net"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. A
// server started on it may still lose a race with another process; callers
// that start servers retry with a new port when the server exits at once.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port on 127.0.0.1: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("release probe port %d: %v", port, err)
	}
	return port
}
