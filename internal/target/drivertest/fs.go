package drivertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

// Server is a test server that a test can stop and start again.
type Server interface {
	Stop()
	Start()
}

// FS describes a file-system-like driver (nfs, cifs) and its running test
// server for RunFS.
type FS struct {
	// Root is the folder the server exports or shares, on the local disk.
	Root string
	// Open returns a driver whose target root is folder sub of Root (""
	// is Root itself), closed when the test ends (see Open).
	Open func(t *testing.T, sub string) target.Target
	// Server is stopped and started again by the restart test.
	Server Server
}

// Case is one driver-specific subtest for RunFS.
type Case struct {
	Name string             // the subtest's name
	Run  func(t *testing.T) // the subtest
}

// RunFS runs, as subtests in this order: the conformance suite over fresh
// folders of fs.Root, SubdirOfRoot, MissingRoot, the driver's own cases,
// and last ServerRestart, which stops and restarts the server.
func RunFS(t *testing.T, fs FS, cases ...Case) {
	fresh := func(t *testing.T) target.Target { return fs.Open(t, freshDir(t, fs.Root)) }
	t.Run("Conformance", func(t *testing.T) { targettest.Run(t, fresh) })
	t.Run("SubdirOfRoot", func(t *testing.T) { testSubdirOfRoot(t, fresh(t), fs.Root) })
	t.Run("MissingRoot", func(t *testing.T) { testMissingRoot(t, fs.Open(t, "not-created-yet")) })
	for _, c := range cases {
		t.Run(c.Name, c.Run)
	}
	t.Run("ServerRestart", func(t *testing.T) { testServerRestart(t, fresh(t), fs.Server) })
}

// freshDir makes a new, empty folder "t<random>" in root and returns its
// name.
func freshDir(t *testing.T, root string) string {
	t.Helper()
	dir, err := os.MkdirTemp(root, "t")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(dir)
}

// testSubdirOfRoot checks that keys land below the URL's path in the
// server's folder, where a kernel mount of the same URL shows them.
func testSubdirOfRoot(t *testing.T, tg target.Target, root string) {
	if err := tg.Put(Ctx(t), "backupstore/x.cfg", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "t*", "backupstore", "x.cfg"))
	if len(matches) != 1 {
		t.Fatalf("Put did not create <root>/<sub>/backupstore/x.cfg on the server: %v", matches)
	}
}

// testMissingRoot checks a target root that does not exist yet: Check
// fails permanently, as Longhorn's kernel mount of the URL would, and a
// Put creates it (mkdir -p), after which Check passes.
func testMissingRoot(t *testing.T, tg target.Target) {
	err := tg.Check(Ctx(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Check of a missing directory = %v (kind %v), want permanent 'does not exist'", err, target.KindOf(err))
	}
	if err := tg.Put(Ctx(t), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(Ctx(t)); err != nil {
		t.Fatalf("Check after Put created the directory: %v", err)
	}
}

// testServerRestart stops the server under a connected driver: calls fail
// transient while it is down and succeed again once it is back, with no
// new driver.
func testServerRestart(t *testing.T, tg target.Target, srv Server) {
	ctx := Ctx(t)
	if err := tg.Put(ctx, "a/k", []byte("before")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for _, call := range []func() error{
		func() error { return tg.Check(ctx) },
		func() error { _, err := tg.Get(ctx, "a/k"); return err },
		func() error { return tg.Put(ctx, "a/k2", []byte("x")) },
	} {
		if err := call(); !target.IsTransient(err) {
			t.Fatalf("call with the server down = %v (kind %v), want transient", err, target.KindOf(err))
		}
	}
	srv.Start()
	if err := tg.Check(ctx); err != nil {
		t.Fatalf("Check after the server came back: %v", err)
	}
	got, err := tg.Get(ctx, "a/k")
	if err != nil || string(got) != "before" {
		t.Fatalf("Get after restart = %q, %v", got, err)
	}
	if err := tg.Put(ctx, "a/k", []byte("after")); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
}
