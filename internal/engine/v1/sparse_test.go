package v1

import (
	"context"
	"os"
	"testing"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

func TestCopySparseKeepsHolesAndVerifies(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	const size = 200 << 20
	w, err := src.Create(testID)
	if err != nil {
		t.Fatal(err)
	}
	w.ReadFrom(&zeroishReader{size: size})
	cfg, err := w.Commit("")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	got, err := CopySparse(t.Context(), src, testID, dst, imagefmt.Limits{}, func(done int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentChecksum != cfg.CurrentChecksum || got.Size != size || last != size {
		t.Fatalf("copy: checksum %s size %d progress %d; want %s %d %d", got.CurrentChecksum, got.Size, last, cfg.CurrentChecksum, size, size)
	}
	if real := allocated(t, dst.BackingPath(testID)); real > 4<<20 {
		t.Fatalf("copy allocates %d bytes, want under 4 MiB", real)
	}
	a, _ := os.ReadFile(src.BackingPath(testID))
	b, _ := os.ReadFile(dst.BackingPath(testID))
	if string(a) != string(b) {
		t.Fatal("copy content differs")
	}
}

func TestCopySparseDetectsCorruptSource(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	data := randomBytes(7, 100000)
	writeCopy(t, src, testID, data)
	f, _ := os.OpenFile(src.BackingPath(testID), os.O_WRONLY, 0)
	f.WriteAt([]byte{data[5] ^ 0xff}, 5)
	f.Close()
	if _, err := CopySparse(t.Context(), src, testID, dst, imagefmt.Limits{}, nil); err == nil {
		t.Fatal("a corrupt source was copied without error")
	}
	assertMissing(t, dst.CopyDir(testID))
}

func TestCopySparseCancelled(t *testing.T) {
	src, dst := testDisk(t), testDisk(t)
	writeCopy(t, src, testID, randomBytes(8, 3*bufferSize))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := CopySparse(ctx, src, testID, dst, imagefmt.Limits{}, nil); err == nil {
		t.Fatal("a cancelled copy succeeded")
	}
	assertMissing(t, dst.CopyDir(testID))
}

func TestForEachExtentCoversFile(t *testing.T) {
	d := testDisk(t)
	writeCopy(t, d, testID, append(append(randomBytes(9, 8192), make([]byte, 1<<20)...), randomBytes(10, 100)...))
	f, _, err := d.Open(testID)
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
