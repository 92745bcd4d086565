package cifs

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

// TestCIFS runs everything that needs a server against one smbd. The
// outage test stops and restarts it, so it runs last.
func TestCIFS(t *testing.T) {
	srv := testenv.Samba(t)
	t.Run("Conformance", func(t *testing.T) {
		targettest.Run(t, func(t *testing.T) target.Target { return openFresh(t, srv) })
	})
	t.Run("SubdirOfShare", func(t *testing.T) { testSubdirOfShare(t, srv) })
	t.Run("WrongPassword", func(t *testing.T) { testWrongPassword(t, srv) })
	t.Run("MissingShare", func(t *testing.T) { testMissingShare(t, srv) })
	t.Run("MissingRoot", func(t *testing.T) { testMissingRoot(t, srv) })
	t.Run("Unreachable", func(t *testing.T) { testUnreachable(t, srv) })
	t.Run("ServerRestart", func(t *testing.T) { testServerRestart(t, srv) })
}

func openFresh(t *testing.T, srv *testenv.SMBServer) *Driver {
	t.Helper()
	dir, err := os.MkdirTemp(srv.Dir, "t")
	if err != nil {
		t.Fatal(err)
	}
	return open(t, srv.URL(filepath.Base(dir)), srv.Secret())
}

func open(t *testing.T, u *url.URL, secret map[string]string) *Driver {
	t.Helper()
	d, err := New(t.Context(), u, secret)
	if err != nil {
		t.Fatalf("New(%s): %v", u, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testSubdirOfShare checks that keys land below the URL's path in the
// shared directory, where a kernel mount of the same URL shows them.
func testSubdirOfShare(t *testing.T, srv *testenv.SMBServer) {
	d := openFresh(t, srv)
	if err := d.Put(ctxTimeout(t), "backupstore/x.cfg", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(srv.Dir, "t*", "backupstore", "x.cfg"))
	if len(matches) != 1 {
		t.Fatalf("Put did not create <share>/<sub>/backupstore/x.cfg on the server: %v", matches)
	}
}

func testWrongPassword(t *testing.T, srv *testenv.SMBServer) {
	secret := srv.Secret()
	secret[SecretPassword] = "not-the-password-4711"
	d := open(t, srv.URL(""), secret)
	err := d.Check(ctxTimeout(t))
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
	d := open(t, u, srv.Secret())
	err := d.Check(ctxTimeout(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "no-such-share") {
		t.Fatalf("Check of a missing share = %v (kind %v), want a permanent error naming the share", err, target.KindOf(err))
	}
}

func testMissingRoot(t *testing.T, srv *testenv.SMBServer) {
	d := open(t, srv.URL("not-created-yet"), srv.Secret())
	err := d.Check(ctxTimeout(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Check of a missing directory = %v (kind %v), want permanent 'does not exist'", err, target.KindOf(err))
	}
	if err := d.Put(ctxTimeout(t), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(ctxTimeout(t)); err != nil {
		t.Fatalf("Check after Put created the directory: %v", err)
	}
}

func testUnreachable(t *testing.T, srv *testenv.SMBServer) {
	u := srv.URL("")
	u.RawQuery = "port=" + itoa(testenv.FreePort(t))
	d := open(t, u, srv.Secret())
	if err := d.Check(ctxTimeout(t)); !target.IsTransient(err) {
		t.Fatalf("Check with nothing listening = %v (kind %v), want transient", err, target.KindOf(err))
	}
}

// testServerRestart stops smbd under a connected driver: calls fail
// transient while it is down and succeed once it is back, with no new
// driver.
func testServerRestart(t *testing.T, srv *testenv.SMBServer) {
	d := openFresh(t, srv)
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
}
