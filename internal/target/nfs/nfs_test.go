package nfs

import (
	"net/url"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/drivertest"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestNFS runs everything that needs a server against one nfs-ganesha:
// the tests every file-system-like driver shares, then NFS's own.
func TestNFS(t *testing.T) {
	srv := testenv.Ganesha(t)
	drivertest.RunFS(t, drivertest.FS{
		Root:   srv.Export,
		Open:   func(t *testing.T, sub string) target.Target { return open(t, srv.URL(sub)) },
		Server: srv,
	},
		drivertest.Case{Name: "MissingExport", Run: func(t *testing.T) { testMissingExport(t, srv) }},
		drivertest.Case{Name: "Unreachable", Run: testUnreachable},
	)
}

func open(t *testing.T, u *url.URL) *Driver {
	t.Helper()
	return drivertest.Open(t, New, u, nil)
}

func testMissingExport(t *testing.T, srv *testenv.NFSServer) {
	u := srv.URL("")
	u.Path = "/no/such/export"
	err := open(t, u).Check(drivertest.Ctx(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "mount") {
		t.Fatalf("Check of a missing export = %v (kind %v), want a permanent mount error", err, target.KindOf(err))
	}
}

func testUnreachable(t *testing.T) {
	port := testenv.FreePort(t)
	u, _ := url.Parse("nfs://127.0.0.1:/export?port=" + itoa(port) + "&mountport=" + itoa(port))
	err := open(t, u).Check(drivertest.Ctx(t))
	if !target.IsTransient(err) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("Check with nothing listening = %v (kind %v), want transient 'unreachable'", err, target.KindOf(err))
	}
}
