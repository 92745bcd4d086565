package enginetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Harness is what RunContract needs of an engine.Disk implementation.
type Harness struct {
	// New returns an empty disk, cleaned up when t ends. Each call is a
	// different disk.
	New func(t *testing.T) engine.Disk
	// Flip changes the stored byte at offset of the ready copy id of d
	// behind the engine's back (bit rot), durably enough that the next
	// read sees it. It returns false when nothing is stored there (an
	// engine that never stores zero blocks cannot rot them).
	Flip func(t *testing.T, d engine.Disk, id engine.CopyID, offset int64) bool
}

// ForFake is the Harness of the in-memory Disk.
func ForFake() Harness {
	return Harness{
		New: func(t *testing.T) engine.Disk { return NewDisk(engine.V1, "/mem/"+t.Name(), "disk-"+t.Name()) },
		Flip: func(t *testing.T, d engine.Disk, id engine.CopyID, offset int64) bool {
			d.(*Disk).Flip(id, offset)
			return true
		},
	}
}

// testBlocks is the size of the contract's image: 4.5 blocks (data, zeros,
// data, a repeat of block 0, half a data block).
const testBlocks = 4

// RunContract runs the engine.Disk contract against h as subtests.
func RunContract(t *testing.T, h Harness) {
	t.Run("CreateCommitRecordManifest", func(t *testing.T) { contractCreate(t, h) })
	t.Run("CommitChecksumMismatch", func(t *testing.T) { contractMismatch(t, h) })
	t.Run("ResetAndAbort", func(t *testing.T) { contractReset(t, h) })
	t.Run("OpenRead", func(t *testing.T) { contractOpen(t, h) })
	t.Run("Remove", func(t *testing.T) { contractRemove(t, h) })
	t.Run("VerifyAndRepair", func(t *testing.T) { contractVerifyRepair(t, h) })
	t.Run("Replicate", func(t *testing.T) { contractReplicate(t, h) })
	t.Run("Restore", func(t *testing.T) { contractRestore(t, h) })
}

func testID(t *testing.T) engine.CopyID { return engine.CopyID{Name: "img", UUID: "u-1"} }

// put makes copy id on d from data through Create and Commit.
func put(t *testing.T, d engine.Disk, id engine.CopyID, data []byte) engine.Record {
	t.Helper()
	f, err := d.Create(context.Background(), id, imagefmt.Limits{})
	if err != nil {
		t.Fatalf("Create %s: %v", id, err)
	}
	const chunk = 777777 // writes not aligned to blocks
	for off := 0; off < len(data); off += chunk {
		if _, err := f.Write(data[off:min(off+chunk, len(data))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	rec, err := f.Commit(context.Background(), Checksum(data))
	if err != nil {
		t.Fatalf("Commit %s: %v", id, err)
	}
	return rec
}

func readAll(t *testing.T, d engine.Disk, id engine.CopyID) []byte {
	t.Helper()
	r, err := d.Open(id)
	if err != nil {
		t.Fatalf("Open %s: %v", id, err)
	}
	defer r.Close()
	b := make([]byte, r.Size())
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("ReadAt %s: %v", id, err)
	}
	return b
}

func sameManifest(t *testing.T, what string, got, want *engine.Manifest) {
	t.Helper()
	if got.Size != want.Size || got.Checksum != want.Checksum || len(got.Blocks) != len(want.Blocks) {
		t.Fatalf("%s: manifest of %d bytes/%d blocks/%s, want %d/%d/%s", what, got.Size, len(got.Blocks), got.Checksum, want.Size, len(want.Blocks), want.Checksum)
	}
	for i := range got.Blocks {
		if got.Blocks[i] != want.Blocks[i] {
			t.Fatalf("%s: block %d is %q, want %q", what, i, got.Blocks[i], want.Blocks[i])
		}
	}
}

func contractCreate(t *testing.T, h Harness) {
	d, id, data := h.New(t), testID(t), Image(1, testBlocks)
	rec := put(t, d, id, data)
	if rec.ID != id || rec.Checksum != Checksum(data) || rec.Size != int64(len(data)) || rec.VirtualSize != int64(len(data)) || rec.Format != imagefmt.Raw {
		t.Fatalf("Commit record: %+v", rec)
	}
	if err := d.Present(id); err != nil {
		t.Fatalf("Present after commit: %v", err)
	}
	if got, err := d.Record(id); err != nil || got != rec {
		t.Fatalf("Record = %+v, %v; Commit said %+v", got, err, rec)
	}
	m, err := d.Manifest(context.Background(), id)
	if err != nil {
		t.Fatalf("Manifest: %v", err)
	}
	sameManifest(t, "Manifest after commit", m, ManifestOf(data))
	if !m.Blocks[1].IsZero() || m.Blocks[0] != m.Blocks[3] {
		t.Fatalf("manifest does not mark the zero block or the repeat: %v", m.Blocks)
	}
	if _, err := d.Create(context.Background(), id, imagefmt.Limits{}); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("Create over a ready copy: %v, want ErrExists", err)
	}
	if err := d.Present(engine.CopyID{Name: "other", UUID: "u-2"}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present of a copy never made: %v, want fs.ErrNotExist", err)
	}
}

func contractMismatch(t *testing.T, h Harness) {
	d, id, data := h.New(t), testID(t), Image(2, testBlocks)
	f, err := d.Create(context.Background(), id, imagefmt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Commit(context.Background(), Checksum(data[1:])); !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("Commit with a wrong checksum: %v, want ErrChecksumMismatch", err)
	}
	f.Abort()
	if err := d.Present(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present after a failed commit: %v, want fs.ErrNotExist", err)
	}
	put(t, d, id, data) // the failed attempt left nothing in the way
}

func contractReset(t *testing.T, h Harness) {
	d, id, data := h.New(t), testID(t), Image(3, testBlocks)
	f, err := d.Create(context.Background(), id, imagefmt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(Image(9, 1)); err != nil {
		t.Fatal(err)
	}
	if err := f.Reset(); err != nil || f.Written() != 0 {
		t.Fatalf("Reset: %v, Written %d", err, f.Written())
	}
	if _, err := f.Write(data); err != nil || f.Written() != int64(len(data)) {
		t.Fatalf("Write after Reset: %v, Written %d", err, f.Written())
	}
	if _, err := f.Commit(context.Background(), Checksum(data)); err != nil {
		t.Fatalf("Commit after Reset: %v", err)
	}
	f.Abort() // a no-op after Commit
	if !bytes.Equal(readAll(t, d, id), data) {
		t.Fatal("content after Reset differs from what was written")
	}
	m, _ := d.Manifest(context.Background(), id)
	sameManifest(t, "after Reset", m, ManifestOf(data))

	other := engine.CopyID{Name: "aborted", UUID: "u-3"}
	f, err = d.Create(context.Background(), other, imagefmt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data[:1000])
	f.Abort()
	if err := d.Present(other); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present after Abort: %v", err)
	}
}

func contractOpen(t *testing.T, h Harness) {
	d, id, data := h.New(t), testID(t), Image(4, testBlocks)
	put(t, d, id, data)
	r, err := d.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", r.Size(), len(data))
	}
	mid := make([]byte, 4096)
	if _, err := r.ReadAt(mid, engine.BlockSize-100); err != nil || !bytes.Equal(mid, data[engine.BlockSize-100:][:4096]) {
		t.Fatalf("ReadAt across a block edge: %v", err)
	}
	if _, err := r.Seek(2*engine.BlockSize+5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[2*engine.BlockSize+5:]) {
		t.Fatalf("Seek+Read: %v (%d bytes, want %d)", err, len(rest), len(data)-2*engine.BlockSize-5)
	}
	ext, err := r.DataExtents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, blk := range []int64{0, 2, 3, 4} { // every data block is inside an extent
		if !covered(ext, blk*engine.BlockSize) {
			t.Fatalf("DataExtents %v leave out data block %d", ext, blk)
		}
	}
	if _, err := d.Open(engine.CopyID{Name: "none", UUID: "u-9"}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing copy: %v, want fs.ErrNotExist", err)
	}
}

func covered(ext []engine.Extent, off int64) bool {
	for _, e := range ext {
		if off >= e.Offset && off < e.Offset+e.Length {
			return true
		}
	}
	return false
}

func contractRemove(t *testing.T, h Harness) {
	d, id, data := h.New(t), testID(t), Image(5, testBlocks)
	put(t, d, id, data)
	if err := d.Remove(id); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := d.Present(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present after Remove: %v", err)
	}
	if _, err := d.Record(id); err == nil {
		t.Fatal("Record after Remove succeeded")
	}
	if err := d.Remove(id); err != nil {
		t.Fatalf("Remove of a removed copy: %v, want nil", err)
	}
	put(t, d, id, data) // and it can be made again
}
