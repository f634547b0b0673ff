package apitest

import (
	"net"
	"testing"
)

// FreePort is a loopback TCP port nothing listens on right now, for a
// listener the test is about to create (a load balancer's, a server's).
func FreePort(t testing.TB) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}
