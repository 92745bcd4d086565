package v1

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// restoreImage is 4.5 blocks: data, a zero block, data, a repeat of
// block 0, and a partial data block.
func restoreImage() []byte {
	data := make([]byte, 4*engine.BlockSize+engine.BlockSize/2)
	copy(data, randomBytes(20, engine.BlockSize))
	copy(data[2*engine.BlockSize:], randomBytes(21, engine.BlockSize))
	copy(data[3*engine.BlockSize:], data[:engine.BlockSize])
	copy(data[4*engine.BlockSize:], randomBytes(22, engine.BlockSize/2))
	return data
}

// A restore that gives a manifest has it stored as is: no block is
// re-hashed (the test's manifest carries an ID no hash would produce,
// and the stored manifest keeps it).
func TestRestoreStoresTheGivenManifest(t *testing.T) {
	d := testDisk(t)
	data := restoreImage()
	given := manifestOf(t, data)
	given.Blocks[2][0] ^= 0xff // not what block 2 hashes to
	var last int64
	rec, err := d.Restore(t.Context(), testID, &memBackup{data: data, checksum: sha512Hex(data), manifest: given},
		imagefmt.Limits{}, func(done, total int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Checksum != sha512Hex(data) || rec.Size != int64(len(data)) || rec.Format != imagefmt.Raw || last != int64(len(data)) {
		t.Fatalf("record %+v, progress %d", rec, last)
	}
	assertFileContent(t, d.BackingPath(testID), data)
	assertManifest(t, storedManifest(t, d, testID), given)
	if got, err := d.Manifest(t.Context(), testID); err != nil || got.Blocks[2] != given.Blocks[2] {
		t.Fatalf("Manifest() = %v, %v; want the stored one", got, err)
	}
	// Verify trusts the manifest, so it flags the block it disagrees with.
	_, err = d.Verify(t.Context(), testID, engine.VerifyOptions{})
	var de *engine.DamagedError
	if !errors.As(err, &de) || len(de.Offsets) != 1 || de.Offsets[0] != 2*engine.BlockSize {
		t.Fatalf("Verify: %v, want block 2 damaged", err)
	}
	if allocated(t, d.BackingPath(testID)) > 4*engine.BlockSize {
		t.Fatal("the zero block was written, not left a hole")
	}
}

// A restore without a manifest gets one built from what it wrote.
func TestRestoreBuildsAMissingManifest(t *testing.T) {
	d := testDisk(t)
	data := restoreImage()
	if _, err := d.Restore(t.Context(), testID, &memBackup{data: data, checksum: sha512Hex(data)}, imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
	if _, err := d.Restore(t.Context(), testID, &memBackup{data: data}, imagefmt.Limits{}, nil); !errors.Is(err, ErrExists) {
		t.Fatalf("second restore: %v, want ErrExists", err)
	}
}

// A failed restore, a checksum the written bytes do not have, or a
// manifest that does not describe them, leave nothing.
func TestRestoreFailuresLeaveNothing(t *testing.T) {
	d := testDisk(t)
	data := restoreImage()
	short := manifestOf(t, data[:engine.BlockSize])
	short.Checksum = sha512Hex(data)
	for name, b := range map[string]*memBackup{
		"restore error":   {data: data, checksum: sha512Hex(data), fail: errors.New("block 3 is corrupt")},
		"wrong checksum":  {data: data, checksum: sha512Hex(data[1:])},
		"manifest size":   {data: data, checksum: sha512Hex(data), manifest: short},
		"manifest digest": {data: data, checksum: sha512Hex(data[1:]), manifest: manifestOf(t, data)},
	} {
		if _, err := d.Restore(t.Context(), testID, b, imagefmt.Limits{}, nil); err == nil {
			t.Errorf("%s: restore succeeded", name)
		}
		assertMissing(t, d.CopyDir(testID))
	}
}

// A copy is never ready without its manifest: when the manifest cannot be
// written, the copy is not published.
func TestNoCopyWithoutManifest(t *testing.T) {
	d := testDisk(t)
	data := randomBytes(23, 3*engine.BlockSize)
	w := newWriter(t, d, testID, imagefmt.Limits{})
	w.Write(data)
	// A directory where the manifest goes makes its rename fail.
	os.MkdirAll(filepath.Join(d.ManifestPath(testID), "x"), 0o750)
	if _, err := w.Commit(t.Context(), sha512Hex(data)); err == nil {
		t.Fatal("Commit succeeded without a manifest")
	}
	assertMissing(t, d.BackingPath(testID))
	assertMissing(t, filepath.Join(d.CopyDir(testID), ConfigName))
	os.RemoveAll(d.CopyDir(testID))

	// Every way a copy is made writes the manifest before `backing`.
	writeCopy(t, d, testID, data)
	assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
	other := CopyID{Name: "restored", UUID: "abcd1234"}
	if _, err := d.Restore(t.Context(), other, &memBackup{data: data, checksum: sha512Hex(data)}, imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	assertManifest(t, storedManifest(t, d, other), manifestOf(t, data))
	got, _ := os.ReadFile(d.BackingPath(other))
	if !bytes.Equal(got, data) {
		t.Fatal("restored content differs")
	}
}
