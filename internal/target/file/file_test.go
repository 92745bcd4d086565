package file_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

func TestConformance(t *testing.T) {
	targettest.Run(t, func(t *testing.T) target.Target { return file.New(t.TempDir()) })
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	u, _ := url.Parse("file://" + dir + "/")
	tg, err := file.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, bad := range []string{"file://host/abs", "file:relative/path", "file://", "s3:///x"} {
		u, err := url.Parse(bad)
		if err != nil {
			continue
		}
		if _, err := file.Open(context.Background(), u, nil); err == nil {
			t.Fatalf("Open(%q) succeeded, want an error", bad)
		}
	}
}

func TestTempFilesHidden(t *testing.T) {
	dir := t.TempDir()
	tg := file.New(dir)
	ctx := context.Background()
	if err := tg.Put(ctx, "d/k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// A crashed writer's leftover, in Longhorn's temp form.
	if err := os.WriteFile(filepath.Join(dir, "d", target.TempName("k2", 1700000000000000000)), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, walk := range []bool{false, true} {
		got = got[:0]
		fn := func(e target.Entry) error { got = append(got, e.Key); return nil }
		var err error
		if walk {
			err = tg.Walk(ctx, "", fn)
		} else {
			err = tg.List(ctx, "d", fn)
		}
		if err != nil || !slices.Equal(got, []string{"d/k"}) {
			t.Fatalf("walk=%v listed %v, %v; want only d/k", walk, got, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "d"))
	if len(entries) != 2 {
		t.Fatalf("directory holds %d entries, want the object and the planted temp file only", len(entries))
	}
}

func TestMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "not-mounted")
	tg := file.New(root)
	ctx := context.Background()
	if err := tg.Check(ctx); !target.IsPermanent(err) {
		t.Fatalf("Check of a missing root = %v, want permanent", err)
	}
	if err := tg.Put(ctx, "a/b", []byte("x")); !target.IsPermanent(err) {
		t.Fatalf("Put under a missing root = %v, want permanent", err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("Put created the missing root (stat: %v)", err)
	}
}

func TestReadOnlyAndKeyUnderObject(t *testing.T) {
	dir := t.TempDir()
	tg := file.New(dir)
	ctx := context.Background()
	if err := tg.Put(ctx, "obj", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := tg.Put(ctx, "obj/child", []byte("y")); !target.IsPermanent(err) {
		t.Fatalf("Put below an object = %v, want permanent", err)
	}
	if os.Geteuid() == 0 {
		return // root ignores directory permissions; the mapping is covered above
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if err := tg.Put(ctx, "new", []byte("x")); !target.IsPermanent(err) {
		t.Fatalf("Put into a read-only dir = %v, want permanent", err)
	}
	if err := tg.Check(ctx); !target.IsPermanent(err) {
		t.Fatalf("Check of a read-only dir = %v, want permanent", err)
	}
}
