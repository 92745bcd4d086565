package v1

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/engine"
)

// flip xors one byte of the copy's backing file, behind plinth's back.
func flip(t *testing.T, d *Disk, id CopyID, off int64) {
	t.Helper()
	f, err := os.OpenFile(d.BackingPath(id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func damaged(t *testing.T, err error) *engine.DamagedError {
	t.Helper()
	var de *engine.DamagedError
	if !errors.As(err, &de) || !errors.Is(err, engine.ErrDamaged) {
		t.Fatalf("got %v, want a *engine.DamagedError", err)
	}
	return de
}

// A flipped byte is found by Verify, which names its block; Repair
// refuses bytes that are not the block, and fixes it with the right ones,
// leaving the copy verified and not Changed.
func TestVerifyFindsAndRepairFixesAFlippedByte(t *testing.T) {
	d := testDisk(t)
	data := restoreImage() // blocks: data, zero, data, data, partial data
	writeCopy(t, d, testID, data)
	flip(t, d, testID, 2*engine.BlockSize+12345)
	flip(t, d, testID, engine.BlockSize+7) // the zero block
	var seen int64
	_, err := d.Verify(t.Context(), testID, engine.VerifyOptions{BytesPerSecond: 1 << 30, Progress: func(n int64) { seen = n }})
	de := damaged(t, err)
	if de.ID != testID || de.Disk != d.Path() || len(de.Offsets) != 2 ||
		de.Offsets[0] != engine.BlockSize || de.Offsets[1] != 2*engine.BlockSize || seen != int64(len(data)) {
		t.Fatalf("Verify: %+v (progress %d), want blocks 1 and 2 named", de, seen)
	}
	if !strings.Contains(err.Error(), "blocks 1 (offset 2097152), 2 (offset 4194304)") {
		t.Fatalf("message: %v", err)
	}

	block2 := data[2*engine.BlockSize : 3*engine.BlockSize]
	for name, bad := range map[string][]byte{
		"other bytes":       data[:engine.BlockSize],
		"a short block":     block2[:engine.BlockSize-1],
		"a damaged copy":    append([]byte{block2[0] ^ 1}, block2[1:]...),
		"non-zero for zero": block2,
	} {
		off := int64(2 * engine.BlockSize)
		if name == "non-zero for zero" {
			off = engine.BlockSize
		}
		before, _ := os.ReadFile(d.BackingPath(testID))
		if err := d.Repair(t.Context(), testID, off, bad); !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("Repair with %s: %v, want ErrChecksumMismatch", name, err)
		}
		assertFileContent(t, d.BackingPath(testID), before)
	}
	if err := d.Repair(t.Context(), testID, 100, block2); err == nil {
		t.Fatal("Repair at an offset inside a block succeeded")
	}

	later := time.Now().Add(time.Hour)
	os.Chtimes(d.BackingPath(testID), later, later) // so the repair's mtime differs
	if err := d.Repair(t.Context(), testID, 2*engine.BlockSize, block2); err != nil {
		t.Fatal(err)
	}
	if err := d.Repair(t.Context(), testID, engine.BlockSize, make([]byte, engine.BlockSize)); err != nil {
		t.Fatal(err)
	}
	assertFileContent(t, d.BackingPath(testID), data)
	if _, err := d.Verify(t.Context(), testID, engine.VerifyOptions{}); err != nil {
		t.Fatalf("Verify after repair: %v", err)
	}
	list, _ := d.ListCopies()
	if len(list) != 1 || list[0].Changed {
		t.Fatalf("a repaired copy is reported Changed: %+v", list)
	}
	if allocated(t, d.BackingPath(testID)) > 4*engine.BlockSize {
		t.Fatal("the repaired zero block is not a hole again")
	}
}

// A copy made before manifests existed gets one built on its first
// Manifest call, checked against its cfg's checksum and stored; later
// calls read it back. An unreadable manifest is rebuilt; an old copy that
// no longer hashes to its checksum is damaged as a whole.
func TestOldCopyGetsItsManifestOnce(t *testing.T) {
	d := testDisk(t)
	data := restoreImage()
	writeCopy(t, d, testID, data)
	want := manifestOf(t, data)
	os.Remove(d.ManifestPath(testID)) // as a copy of an older plinth
	m, err := d.Manifest(t.Context(), testID)
	if err != nil {
		t.Fatal(err)
	}
	assertManifest(t, m, want)
	assertManifest(t, storedManifest(t, d, testID), want)

	// Read back, not rebuilt: a damaged file does not change the answer.
	flip(t, d, testID, 5)
	if m, err = d.Manifest(t.Context(), testID); err != nil {
		t.Fatal(err)
	}
	assertManifest(t, m, want)
	flip(t, d, testID, 5)

	// An unreadable manifest is built again.
	os.WriteFile(d.ManifestPath(testID), []byte("PLINTHMF garbage"), 0o640)
	if m, err = d.Manifest(t.Context(), testID); err != nil {
		t.Fatal(err)
	}
	assertManifest(t, m, want)
	assertManifest(t, storedManifest(t, d, testID), want)

	// An old copy that was damaged cannot get a manifest.
	os.Remove(d.ManifestPath(testID))
	flip(t, d, testID, 3*engine.BlockSize+1)
	_, err = d.Manifest(t.Context(), testID)
	if de := damaged(t, err); !de.Whole || de.ID != testID || de.Disk != d.Path() {
		t.Fatalf("Manifest of a damaged old copy: %+v", de)
	}
	if _, err := d.Verify(t.Context(), testID, engine.VerifyOptions{}); !damaged(t, err).Whole {
		t.Fatal("Verify of a damaged old copy is not Whole")
	}
	assertMissing(t, d.ManifestPath(testID))
}
