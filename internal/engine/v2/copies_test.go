package v2

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
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
	_, before := d.Capacity()
	id := CopyID{Name: "gone", UUID: "u2"}
	importRandom(t, d, id, 2, 32<<20, 17<<20)
	expectAvailable(t, d, before-9*cs, "after import")
	if err := d.Remove(id); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, d, before, "after Remove")
	if err := d.Remove(id); err != nil {
		t.Fatalf("removing a missing copy: %v", err)
	}
	_, _, err := d.Open(id)
	expectErr(t, err, fs.ErrNotExist, "Open of a removed copy")
	expectErr(t, err, volstore.ErrNotFound, "Open of a removed copy")
	if _, err := d.Verify(ctx, keep); err != nil {
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
	_, avail := d.Capacity()
	checkClean(t, d)

	d = mustOpenDisk(t, path, 0)
	if d.UUID() != uuid {
		t.Fatalf("disk UUID changed from %s to %s", uuid, d.UUID())
	}
	expectAvailable(t, d, avail, "after reopen")
	if removed, err := d.CleanupIncomplete(); err != nil || len(removed) != 0 {
		t.Fatalf("CleanupIncomplete removed %v (%v) from a cleanly closed disk", removed, err)
	}
	got := d.ListCopies()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || got[0].Problem != "" {
		t.Fatalf("after reopen: %+v\nbefore: %+v", got, want)
	}
	expectContent(t, d, a, ca)
	expectContent(t, d, b, cb)
	if _, err := d.Verify(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyDetectsCorruption: a byte changed on the disk under a copy is
// found by Verify.
func TestVerifyDetectsCorruption(t *testing.T) {
	d, path := testDisk(t, 256<<20)
	id := CopyID{Name: "c", UUID: "u"}
	importRandom(t, d, id, 1, 4<<20, 4<<20)
	r := checkClean(t, d)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The first copy on a fresh store gets the first data clusters.
	buf := make([]byte, 1)
	off := r.FirstCluster*cs + 12345
	f.ReadAt(buf, off)
	buf[0] ^= 0xff
	if _, err := f.WriteAt(buf, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d = mustOpenDisk(t, path, 0)
	_, err = d.Verify(ctx, id)
	expectErr(t, err, ErrChecksumMismatch, "Verify of a corrupted copy")
}

// TestCopyFromV1AndBetweenDisks copies a raw v1 copy into v2 and that v2
// copy to another block disk, verified by checksum; a wrong checksum or a
// qcow2 source leaves nothing.
func TestCopyFromV1AndBetweenDisks(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	other, _ := testDisk(t, 128<<20)
	_, before := d.Capacity()
	v1d, err := v1.OpenDisk(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	id := CopyID{Name: "from-v1", UUID: "u"}
	content := make([]byte, 12<<20)
	copy(content[5<<20:], randomBytes(7, 3<<20))
	w, err := v1d.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	v1cfg, err := w.Commit(sha512Hex(content))
	if err != nil {
		t.Fatal(err)
	}
	src, err := backupstore.OpenFileSource(v1d.BackingPath(id))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = d.CopyFrom(ctx, id, src, sha512Hex([]byte("x")), nil)
	expectErr(t, err, ErrChecksumMismatch, "CopyFrom with a wrong checksum")
	expectAvailable(t, d, before, "after a failed CopyFrom")
	cfg, err := d.CopyFrom(ctx, id, src, v1cfg.CurrentChecksum, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentChecksum != v1cfg.CurrentChecksum || cfg.RealSize != 2*cs {
		t.Fatalf("config %+v", cfg)
	}
	expectContent(t, d, id, content)

	cfg2, err := CopySparse(ctx, d, id, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.CurrentChecksum != cfg.CurrentChecksum || cfg2.RealSize != cfg.RealSize || cfg2.DiskUUID != other.UUID() {
		t.Fatalf("copy on the other disk: %+v", cfg2)
	}
	expectContent(t, other, id, content)

	qcow := filepath.Join(t.TempDir(), "q.qcow2")
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", qcow, "4M")
	qsrc, err := backupstore.OpenFileSource(qcow)
	if err != nil {
		t.Fatal(err)
	}
	defer qsrc.Close()
	if _, err := d.CopyFrom(ctx, CopyID{Name: "q", UUID: "u"}, qsrc, "", nil); err == nil {
		t.Fatal("CopyFrom accepted a qcow2 source")
	}
	checkClean(t, d)
	checkClean(t, other)
}
