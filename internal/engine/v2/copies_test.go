package v2

import (
	"github.com/plinth-storage/plinth/internal/engine"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// importRandom imports an image of size bytes with data in its first
// dataLen bytes and returns its content.
func importRandom(t *testing.T, d *Disk, id CopyID, seed uint64, size int64, dataLen int) []byte {
	t.Helper()
	src := filepath.Join(t.TempDir(), id.Name+".raw")
	content := writeImage(t, src, size, piece{0, randomBytes(seed, dataLen)})
	if _, err := d.Import(ctx, id, src, sha512Hex(content), imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	return content
}

// TestRemoveFreesClusters: removing a copy returns available space to
// exactly its earlier value, and the copy is gone.
func TestRemoveFreesClusters(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	keep := CopyID{Name: "keep", UUID: "u1"}
	importRandom(t, d, keep, 1, 9<<20, 5<<20)
	before := available(t, d)
	id := CopyID{Name: "gone", UUID: "u2"}
	importRandom(t, d, id, 2, 32<<20, 17<<20)
	expectAvailable(t, d, before-10*cs, "after import (9 clusters and the manifest's)")
	if err := d.Remove(id); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, d, before, "after Remove")
	if err := d.Remove(id); err != nil {
		t.Fatalf("removing a missing copy: %v", err)
	}
	_, err := d.Open(id)
	expectErr(t, err, fs.ErrNotExist, "Open of a removed copy")
	expectErr(t, err, volstore.ErrNotFound, "Open of a removed copy")
	if _, err := d.Verify(ctx, keep, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	checkClean(t, d)
}

// TestReopenKeepsReadyCopies: after Close and OpenDisk every ready copy is
// listed with the same config and content, from the disk alone.
func TestReopenKeepsReadyCopies(t *testing.T) {
	d, path := testDisk(t, 256<<20)
	a, b := CopyID{Name: "a", UUID: "ua"}, CopyID{Name: "b", UUID: "ub"}
	ca := importRandom(t, d, a, 1, 6<<20, 3<<20)
	cb := importRandom(t, d, b, 2, 10<<20, 10<<20)
	want := d.ListCopies()
	uuid := d.UUID()
	avail := available(t, d)
	checkClean(t, d)

	d = mustOpenDisk(t, path, 0)
	if d.UUID() != uuid {
		t.Fatalf("disk UUID changed from %s to %s", uuid, d.UUID())
	}
	expectAvailable(t, d, avail, "after reopen")
	if removed, err := d.Cleanup(); err != nil || len(removed) != 0 {
		t.Fatalf("CleanupIncomplete removed %v (%v) from a cleanly closed disk", removed, err)
	}
	got := d.ListCopies()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || got[0].Problem != "" {
		t.Fatalf("after reopen: %+v\nbefore: %+v", got, want)
	}
	expectContent(t, d, a, ca)
	expectContent(t, d, b, cb)
	if _, err := d.Verify(ctx, b, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}
