package cifs

import (
	"net/url"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/drivertest"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestCIFS runs everything that needs a server against one smbd: the tests
// every file-system-like driver shares, then SMB's own.
func TestCIFS(t *testing.T) {
	srv := testenv.Samba(t)
	drivertest.RunFS(t, drivertest.FS{
		Root:   srv.Dir,
		Open:   func(t *testing.T, sub string) target.Target { return open(t, srv.URL(sub), srv.Secret()) },
		Server: srv,
	},
		drivertest.Case{Name: "WrongPassword", Run: func(t *testing.T) { testWrongPassword(t, srv) }},
		drivertest.Case{Name: "MissingShare", Run: func(t *testing.T) { testMissingShare(t, srv) }},
		drivertest.Case{Name: "Unreachable", Run: func(t *testing.T) { testUnreachable(t, srv) }},
	)
}

func open(t *testing.T, u *url.URL, secret map[string]string) *Driver {
	t.Helper()
	return drivertest.Open(t, New, u, secret)
}

func testWrongPassword(t *testing.T, srv *testenv.SMBServer) {
	secret := srv.Secret()
	secret[SecretPassword] = "not-the-password-4711"
	err := open(t, srv.URL(""), secret).Check(drivertest.Ctx(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "authentication") {
		t.Fatalf("Check with a wrong password = %v (kind %v), want a permanent authentication error", err, target.KindOf(err))
	}
	for _, pw := range []string{secret[SecretPassword], srv.Password} {
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("the error message contains a password: %v", err)
		}
	}
}

func testMissingShare(t *testing.T, srv *testenv.SMBServer) {
	u := srv.URL("")
	u.Path = "/no-such-share"
	err := open(t, u, srv.Secret()).Check(drivertest.Ctx(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "no-such-share") {
		t.Fatalf("Check of a missing share = %v (kind %v), want a permanent error naming the share", err, target.KindOf(err))
	}
}

func testUnreachable(t *testing.T, srv *testenv.SMBServer) {
	u := srv.URL("")
	u.RawQuery = "port=" + itoa(testenv.FreePort(t))
	if err := open(t, u, srv.Secret()).Check(drivertest.Ctx(t)); !target.IsTransient(err) {
		t.Fatalf("Check with nothing listening = %v (kind %v), want transient", err, target.KindOf(err))
	}
}
