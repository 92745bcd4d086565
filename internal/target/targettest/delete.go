package targettest

import (
	"errors"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

func testDelete(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	if err := tg.Delete(ctx, "never/existed"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	mustPut(t, tg, "d/k", []byte("data"))
	if err := tg.Delete(ctx, "d/k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := tg.Get(ctx, "d/k")
	mustNotFound(t, err, "Get after Delete")
	if got := collect(t, tg, false, "d"); len(got) != 0 {
		t.Fatalf("List after Delete = %v, want nothing", sortedKeys(got))
	}
	if err := tg.Delete(ctx, "d/k"); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
}

// testDeleteNoPrefix checks that Delete has no prefix or "rm -rf" meaning:
// deleting "a/b" leaves "a/bc" and "a/b/c" alone. File-system drivers cannot
// hold "a/b" and "a/b/c" at once, so the two cases use separate trees.
func testDeleteNoPrefix(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	for _, k := range []string{"p/b", "p/bc", "p/b.cfg", "q/b/c", "q/bc", "q/b2"} {
		mustPut(t, tg, k, []byte(k))
	}
	if err := tg.Delete(ctx, "p/b"); err != nil {
		t.Fatalf("Delete(p/b): %v", err)
	}
	// q/b is only a directory (prefix); there is no object to delete.
	if err := tg.Delete(ctx, "q/b"); err != nil {
		t.Fatalf("Delete(q/b) where q/b is only a directory: %v, want nil", err)
	}
	want := []string{"p/b.cfg", "p/bc", "q/b/c", "q/b2", "q/bc"}
	if got := sortedKeys(collect(t, tg, true, "")); !slices.Equal(got, want) {
		t.Fatalf("after deletes, objects = %v, want %v", got, want)
	}
	for _, k := range want {
		mustGet(t, tg, k, []byte(k))
	}
}

// longhornKeys are keys of the shapes Longhorn's backup store uses.
var longhornKeys = []string{
	"backupstore/backing-images/backing-images/parrot-img_v1.2/backing-image.cfg",
	"backupstore/backing-images/blocks/3f/a9/3fa9c0ffee00112233445566778899aabbccddeeff00112233445566778899.blk",
	"backupstore/volumes/22/fc/BACKINGIMAGE/locks/lock-0123456789abcdef.lck",
	"backupstore/volumes/01/9c/vol1/backups/backup_backup-1a2b3c4d.cfg",
	"backupstore/system-backups/v1.8.0/sb-20240101/system-backup.cfg",
}

func testLonghornKeys(t *testing.T, tg target.Target) {
	for i, k := range longhornKeys {
		mustPut(t, tg, k, payload(uint64(i), 100+i))
	}
	for i, k := range longhornKeys {
		mustGet(t, tg, k, payload(uint64(i), 100+i))
	}
	want := slices.Sorted(slices.Values(longhornKeys))
	if got := sortedKeys(collect(t, tg, true, "backupstore")); !slices.Equal(got, want) {
		t.Fatalf("Walk(backupstore) = %v, want %v", got, want)
	}
	got := collect(t, tg, false, "backupstore/volumes/22/fc/BACKINGIMAGE/locks")
	if len(got) != 1 {
		t.Fatalf("List of the lock dir = %v, want the one lock", sortedKeys(got))
	}
}

// testInvalidKeys checks that keys which could escape the root or are not
// in the contract's form are refused with a permanent error and store
// nothing.
func testInvalidKeys(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	for _, k := range []string{"", "/abs", "a//b", "a/../b", "..", "./a", "a/", "a/x.tmp.12345"} {
		err := tg.Put(ctx, k, []byte("x"))
		if err == nil || !target.IsPermanent(err) {
			t.Fatalf("Put(%q) = %v, want a permanent error", k, err)
		}
		if _, err := tg.Get(ctx, k); err == nil || !target.IsPermanent(err) {
			t.Fatalf("Get(%q) = %v, want a permanent error", k, err)
		}
	}
	for _, dir := range []string{"/abs", "a/..", "a/"} {
		err := tg.List(ctx, dir, func(target.Entry) error { return errors.New("called") })
		if err == nil || !target.IsPermanent(err) {
			t.Fatalf("List(%q) = %v, want a permanent error", dir, err)
		}
	}
	if got := collect(t, tg, true, ""); len(got) != 0 {
		t.Fatalf("invalid puts stored %v", sortedKeys(got))
	}
}
