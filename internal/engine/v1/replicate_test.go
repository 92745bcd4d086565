package v1

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// replicate copies testID from src to dst with src's reader and manifest.
func replicate(t *testing.T, ctx context.Context, src, dst *Disk, progress func(int64)) (engine.Record, error) {
	t.Helper()
	r, err := src.Open(testID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := src.Manifest(t.Context(), testID)
	if err != nil {
		t.Fatal(err)
	}
	return dst.Replicate(ctx, testID, r, m, imagefmt.Limits{}, progress)
}

func TestReplicateKeepsHolesAndManifest(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	const size = 200 << 20
	w := newWriter(t, src, testID, imagefmt.Limits{})
	w.ReadFrom(&zeroishReader{size: size})
	want, err := w.Commit(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	got, err := replicate(t, t.Context(), src, dst, func(done int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if got != want || last != size {
		t.Fatalf("copy: %+v, progress %d; want %+v, %d", got, last, want, size)
	}
	if real := allocated(t, dst.BackingPath(testID)); real > 4<<20 {
		t.Fatalf("copy allocates %d bytes, want under 4 MiB", real)
	}
	a, _ := os.ReadFile(src.BackingPath(testID))
	b, _ := os.ReadFile(dst.BackingPath(testID))
	if string(a) != string(b) {
		t.Fatal("copy content differs")
	}
	assertManifest(t, storedManifest(t, dst, testID), storedManifest(t, src, testID))
	if _, err := dst.Verify(t.Context(), testID, engine.VerifyOptions{}); err != nil {
		t.Fatalf("verify the replica: %v", err)
	}
}

// A source block that does not match the source's manifest fails the
// replication naming the source's block and disk, and leaves nothing: a
// flipped byte in a data block, a zero block that is no longer zero, and
// a data block punched to a hole.
func TestReplicateNamesDamagedSourceBlocks(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	data := append(randomBytes(7, 3*engine.BlockSize), make([]byte, engine.BlockSize)...)
	data = append(data, randomBytes(8, 1000)...)
	writeCopy(t, src, testID, data)
	f, _ := os.OpenFile(src.BackingPath(testID), os.O_WRONLY, 0)
	f.WriteAt([]byte{data[5] ^ 0xff}, 5)
	f.WriteAt([]byte{1}, 3*engine.BlockSize+77)
	f.WriteAt(make([]byte, engine.BlockSize), 2*engine.BlockSize)
	f.Close()
	_, err := replicate(t, t.Context(), src, dst, nil)
	var de *engine.DamagedError
	if !errors.As(err, &de) || de.Disk != src.Path() || de.ID != testID ||
		len(de.Offsets) != 3 || de.Offsets[0] != 0 || de.Offsets[1] != 2*engine.BlockSize || de.Offsets[2] != 3*engine.BlockSize {
		t.Fatalf("got %v, want blocks 0, 2 and 3 of the source named", err)
	}
	assertMissing(t, dst.CopyDir(testID))
}

func TestReplicateCancelled(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	writeCopy(t, src, testID, randomBytes(8, 3*bufferSize))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := replicate(t, ctx, src, dst, nil); err == nil {
		t.Fatal("a cancelled copy succeeded")
	}
	assertMissing(t, dst.CopyDir(testID))
}

func TestReplicateRefusesAManifestOfAnotherSize(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	data := randomBytes(9, 5000)
	writeCopy(t, src, testID, data)
	r, _ := src.Open(testID)
	defer r.Close()
	if _, err := dst.Replicate(t.Context(), testID, r, manifestOf(t, data[:100]), imagefmt.Limits{}, nil); err == nil {
		t.Fatal("replicated with a manifest of another size")
	}
	if _, err := dst.Replicate(t.Context(), testID, r, nil, imagefmt.Limits{}, nil); err == nil {
		t.Fatal("replicated without a manifest")
	}
	assertMissing(t, dst.CopyDir(testID))
}

func TestForEachExtentCoversFile(t *testing.T) {
	d := testDisk(t)
	writeCopy(t, d, testID, append(append(randomBytes(9, 8192), make([]byte, 1<<20)...), randomBytes(10, 100)...))
	f, err := os.Open(d.BackingPath(testID))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	var next int64
	var holes int
	err = forEachExtent(f, fi.Size(), func(off, length int64, data bool) error {
		if off != next || length <= 0 {
			t.Fatalf("extent at %d+%d, expected start %d", off, length, next)
		}
		if !data {
			holes++
		}
		next = off + length
		return nil
	})
	if err != nil || next != fi.Size() || holes == 0 {
		t.Fatalf("extents end at %d of %d, %d holes, err %v", next, fi.Size(), holes, err)
	}
}
