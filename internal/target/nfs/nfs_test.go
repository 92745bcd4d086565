package nfs

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/targettest"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestNFS runs everything that needs a server against one nfs-ganesha.
// The outage test stops and restarts it, so it runs last.
func TestNFS(t *testing.T) {
	srv := testenv.Ganesha(t)
	t.Run("Conformance", func(t *testing.T) {
		targettest.Run(t, func(t *testing.T) target.Target { return openFresh(t, srv) })
	})
	t.Run("SubdirOfExport", func(t *testing.T) { testSubdirOfExport(t, srv) })
	t.Run("MissingExport", func(t *testing.T) { testMissingExport(t, srv) })
	t.Run("MissingRoot", func(t *testing.T) { testMissingRoot(t, srv) })
	t.Run("Unreachable", func(t *testing.T) { testUnreachable(t) })
	t.Run("ServerRestart", func(t *testing.T) { testServerRestart(t, srv) })
}

// openFresh returns a driver over a new, empty directory of the export.
func openFresh(t *testing.T, srv *testenv.NFSServer) *Driver {
	t.Helper()
	dir, err := os.MkdirTemp(srv.Export, "t")
	if err != nil {
		t.Fatal(err)
	}
	return open(t, srv.URL(filepath.Base(dir)))
}

func open(t *testing.T, u *url.URL) *Driver {
	t.Helper()
	d, err := New(t.Context(), u, nil)
	if err != nil {
		t.Fatalf("New(%s): %v", u, err)
	}
	return d
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testSubdirOfExport checks that files written through the driver land
// under the URL's path in the exported directory, as a kernel mount of the
// same URL would show them.
func testSubdirOfExport(t *testing.T, srv *testenv.NFSServer) {
	d := openFresh(t, srv)
	defer d.Close()
	if err := d.Put(ctxTimeout(t), "backupstore/x.cfg", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(srv.Export, "t*", "backupstore", "x.cfg"))
	if len(matches) != 1 {
		t.Fatalf("Put did not create <export>/<sub>/backupstore/x.cfg on the server: %v", matches)
	}
}

func testMissingExport(t *testing.T, srv *testenv.NFSServer) {
	u := srv.URL("")
	u.Path = "/no/such/export"
	d := open(t, u)
	defer d.Close()
	err := d.Check(ctxTimeout(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "mount") {
		t.Fatalf("Check of a missing export = %v (kind %v), want a permanent mount error", err, target.KindOf(err))
	}
}

func testMissingRoot(t *testing.T, srv *testenv.NFSServer) {
	d := open(t, srv.URL("not-created-yet"))
	defer d.Close()
	err := d.Check(ctxTimeout(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Check of a missing directory = %v (kind %v), want permanent 'does not exist'", err, target.KindOf(err))
	}
	// Put creates it, as mkdir -p on a mount would; then Check passes.
	if err := d.Put(ctxTimeout(t), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(ctxTimeout(t)); err != nil {
		t.Fatalf("Check after Put created the directory: %v", err)
	}
}

func testUnreachable(t *testing.T) {
	port := testenv.FreePort(t)
	u, _ := url.Parse("nfs://127.0.0.1:/export?port=" + itoa(port) + "&mountport=" + itoa(port))
	d := open(t, u)
	defer d.Close()
	err := d.Check(ctxTimeout(t))
	if !target.IsTransient(err) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("Check with nothing listening = %v (kind %v), want transient 'unreachable'", err, target.KindOf(err))
	}
}

// testServerRestart stops the server under a connected driver: calls fail
// transient while it is down and succeed again once it is back, with no
// new driver.
func testServerRestart(t *testing.T, srv *testenv.NFSServer) {
	d := openFresh(t, srv)
	defer d.Close()
	ctx := ctxTimeout(t)
	if err := d.Put(ctx, "a/k", []byte("before")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for _, call := range []func() error{
		func() error { return d.Check(ctx) },
		func() error { _, err := d.Get(ctx, "a/k"); return err },
		func() error { return d.Put(ctx, "a/k2", []byte("x")) },
	} {
		if err := call(); !target.IsTransient(err) {
			t.Fatalf("call with the server down = %v (kind %v), want transient", err, target.KindOf(err))
		}
	}
	srv.Start()
	if err := d.Check(ctx); err != nil {
		t.Fatalf("Check after the server came back: %v", err)
	}
	got, err := d.Get(ctx, "a/k")
	if err != nil || string(got) != "before" {
		t.Fatalf("Get after restart = %q, %v", got, err)
	}
	if err := d.Put(ctx, "a/k", []byte("after")); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
}
