package targettest

import (
	"errors"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

// testRemoveEmptyDir checks the optional target.DirRemover: targets with
// directories must have it and remove a directory only when it is empty;
// decorators around a target without directories refuse with
// errors.ErrUnsupported.
func testRemoveEmptyDir(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	dr, ok := tg.(target.DirRemover)
	hasDirs := tg.Properties().HasDirs
	switch {
	case !ok && hasDirs:
		t.Fatal("a target with directories (HasDirs) must implement target.DirRemover")
	case !ok:
		return // an object store: nothing to remove
	case !hasDirs:
		err := dr.RemoveEmptyDir(ctx, "d")
		if !errors.Is(err, errors.ErrUnsupported) || !target.IsPermanent(err) {
			t.Fatalf("RemoveEmptyDir on a target without directories = %v, want a permanent ErrUnsupported", err)
		}
		return
	}
	mustPut(t, tg, "r/full/obj", []byte("keep"))
	mustPut(t, tg, "r/nested/sub/x", []byte("x"))
	mustPut(t, tg, "r/empty/x", []byte("x"))
	for _, k := range []string{"r/empty/x", "r/nested/sub/x"} {
		if err := tg.Delete(ctx, k); err != nil {
			t.Fatalf("Delete(%s): %v", k, err)
		}
	}
	for _, dir := range []string{"r/full", "r/nested"} { // an object; a sub-directory
		err := dr.RemoveEmptyDir(ctx, dir)
		if !errors.Is(err, target.ErrNotEmpty) || !target.IsPermanent(err) {
			t.Fatalf("RemoveEmptyDir(%s) of a directory with entries = %v, want a permanent ErrNotEmpty", dir, err)
		}
	}
	mustGet(t, tg, "r/full/obj", []byte("keep"))
	if err := dr.RemoveEmptyDir(ctx, "r/empty"); err != nil {
		t.Fatalf("RemoveEmptyDir of an empty directory: %v", err)
	}
	var dirs []string
	for k, e := range collect(t, tg, false, "r") {
		if e.IsDir {
			dirs = append(dirs, k)
		}
	}
	slices.Sort(dirs)
	if want := []string{"r/full", "r/nested"}; !slices.Equal(dirs, want) {
		t.Fatalf("directories after RemoveEmptyDir(r/empty) = %v, want %v", dirs, want)
	}
	for _, gone := range []string{"r/empty", "never/existed", "r/full/obj"} { // removed; missing; an object
		if err := dr.RemoveEmptyDir(ctx, gone); err != nil {
			t.Fatalf("RemoveEmptyDir(%s) = %v, want nil", gone, err)
		}
	}
	mustGet(t, tg, "r/full/obj", []byte("keep"))
	if err := dr.RemoveEmptyDir(ctx, ""); !target.IsPermanent(err) {
		t.Fatalf("RemoveEmptyDir of the root = %v, want a permanent error", err)
	}
	mustPut(t, tg, "r/empty/again", []byte("a")) // a removed directory is made again
	mustGet(t, tg, "r/empty/again", []byte("a"))
}
