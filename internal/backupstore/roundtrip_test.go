package backupstore

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func TestRoundTripShapesAndMethods(t *testing.T) {
	size := 9*mib + 4096 + 512 // not a multiple of 2 MiB
	mixed, mixedExt := mixedImage(1, size)
	repeated := make([]byte, 6*mib)
	for off := 0; off < len(repeated); off += format.BlockSize {
		copy(repeated[off:], randomBytes(7, format.BlockSize))
	}
	images := map[string]struct {
		data    []byte
		extents []Extent
	}{
		"random":   {randomBytes(2, 5*mib+123), nil},
		"zero":     {make([]byte, 4*mib+1), nil},
		"repeated": {repeated, nil},
		"mixed":    {mixed, mixedExt},
		"tiny":     {[]byte("x"), nil},
	}
	for _, method := range []string{"none", "gzip", "lz4"} {
		st := New(mem.New(), testOptions())
		for kind, img := range images {
			name := fmt.Sprintf("%s-%s", kind, method)
			res := backupBytes(t, st, name, img.data, img.extents, method)
			sum := sha512.Sum512(img.data)
			if res.Config.Checksum != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s: stored checksum is not the image's SHA-512", name)
			}
			got, rres := restoreBytes(t, st, name)
			assertSameImage(t, got, img.data)
			if !rres.ChecksumVerified {
				t.Fatalf("%s: whole-image checksum not verified", name)
			}
		}
	}
}

func TestZeroAndHoleBlocksAreNotStored(t *testing.T) {
	st := New(mem.New(), testOptions())
	img, ext := mixedImage(3, 16*mib)
	res := backupBytes(t, st, "mixed", img, ext, "lz4")
	// 16 MiB: q = 4 MiB. Random [0,4): 2 blocks; pattern [4,8): 2 refs to 1
	// object; zero [8,12): skipped; hole [12,14): skipped; random [14,16): 1.
	if len(res.Config.Blocks) != 5 || res.Stats.Uploaded != 4 || res.Stats.ZeroBlocks != 2 || res.Stats.DataBlocks != 7 {
		t.Fatalf("blocks %d, stats %+v", len(res.Config.Blocks), res.Stats)
	}
	if int(res.Config.BlockCount) != len(res.Config.Blocks) {
		t.Fatalf("BlockCount %d != %d entries", res.Config.BlockCount, len(res.Config.Blocks))
	}
}

func TestFileTargetEndToEnd(t *testing.T) {
	root := t.TempDir()
	st := New(file.New(root), testOptions())
	dir := t.TempDir()
	src := filepath.Join(dir, "backing")
	size := int64(10*mib + 777)
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(11, 3*mib)
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data[:1000], size-1000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fs, err := OpenFileSource(src)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	ext, err := fs.DataExtents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ext) != 2 {
		t.Fatalf("sparse file extents %+v, want two (the hole in the middle skipped)", ext)
	}
	res, err := st.Backup(context.Background(), BackupRequest{Name: "bi-file", Source: fs, Compression: "gzip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.DataBlocks != 4 { // [0,2) [2,4) and the two windows the tail straddles
		t.Fatalf("read %d blocks, want 4", res.Stats.DataBlocks)
	}
	out := filepath.Join(dir, "restored")
	sink, err := CreateFileSink(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Restore(context.Background(), "bi-file", sink, RestoreOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	sink.Close()
	want, _ := os.ReadFile(src)
	got, _ := os.ReadFile(out)
	assertSameImage(t, got, want)
	var stt syscall.Stat_t
	if err := syscall.Stat(out, &stt); err != nil {
		t.Fatal(err)
	}
	if stt.Blocks*512 >= size {
		t.Fatalf("restored file uses %d bytes on disk for a %d-byte sparse image: holes were written", stt.Blocks*512, size)
	}
	// The file target holds Longhorn's tree.
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(format.ConfigKey("bi-file")))); err != nil {
		t.Fatal(err)
	}
}

func TestProgressIsMonotonicAndEndsAt100(t *testing.T) {
	st := New(mem.New(), testOptions())
	img := randomBytes(5, 12*mib)
	var seen []Progress
	_, err := st.Backup(context.Background(), BackupRequest{Name: "p1", Source: &BytesSource{Data: img}}, func(p Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 || seen[len(seen)-1].Percent != 100 || seen[len(seen)-1].Done != int64(len(img)) {
		t.Fatalf("progress %+v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Percent < seen[i-1].Percent || seen[i].Done < seen[i-1].Done {
			t.Fatalf("progress went backwards: %+v", seen)
		}
		if i < len(seen)-1 && seen[i].Percent == 100 {
			t.Fatal("100% reported before the commit")
		}
	}
}
