package v2_test

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/benchmem"
	v2 "github.com/plinth-storage/plinth/internal/engine/v2"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// benchBytes is the image size: PLINTH_BENCH_SIZE (bytes or K/M/G), default 1 GiB.
func benchBytes() int64 {
	v := strings.ToUpper(strings.TrimSpace(os.Getenv("PLINTH_BENCH_SIZE")))
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			v, mult = strings.TrimSuffix(v, suffix), m
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return n * mult
	}
	return 1 << 30
}

// benchBackup writes an image of random, repeated and zero 2 MiB blocks
// and a hole, backs it up to a file target and returns the store.
func benchBackup(b *testing.B, size int64) (*backupstore.Store, string) {
	b.Helper()
	dir := b.TempDir()
	img := filepath.Join(dir, "img.raw")
	f, err := os.Create(img)
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(1))
	block := make([]byte, 2<<20)
	repeated := make([]byte, 2<<20)
	rnd.Read(repeated)
	for off := int64(0); off < size*3/4; off += int64(len(block)) {
		switch (off / int64(len(block))) % 4 {
		case 0, 1:
			rnd.Read(block)
			f.WriteAt(block, off)
		case 2:
			f.WriteAt(repeated, off)
		}
	}
	f.Truncate(size) // the last quarter is a hole
	f.Close()
	root := filepath.Join(dir, "target")
	os.MkdirAll(root, 0o750)
	st := backupstore.New(file.New(root), backupstore.Options{})
	src, err := backupstore.OpenFileSource(img)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	if _, err := st.Backup(context.Background(), backupstore.BackupRequest{Name: "bench", Source: src}, nil); err != nil {
		b.Fatal(err)
	}
	return st, dir
}

// BenchmarkRestoreV2 restores one backup into a v2 copy (a volume on a
// file-backed block disk), reporting MB/s of image data and peak heap.
// Commit is given no manifest, so it includes building one (one parallel
// read of the copy), as for a restore that could not prove the manifest.
func BenchmarkRestoreV2(b *testing.B) {
	size := benchBytes()
	st, dir := benchBackup(b, size)
	disk, err := v2.OpenDisk(filepath.Join(dir, "block.img"), size+size/2+(256<<20), mkdir(b, filepath.Join(dir, "staging")))
	if err != nil {
		b.Fatal(err)
	}
	defer disk.Close()
	b.SetBytes(size)
	var elapsed time.Duration
	peak := benchmem.Peak(5*time.Millisecond, false)
	for i := 0; i < b.N; i++ {
		id := v2.CopyID{Name: "restored", UUID: "0000000" + strconv.Itoa(i%10)}
		w, err := disk.CreateRandom(id)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := st.Restore(context.Background(), "bench", w, backupstore.RestoreOptions{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(context.Background(), res.Checksum, nil); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start) - res.LockWait
		b.StopTimer()
		disk.Remove(id)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)*float64(b.N)/elapsed.Seconds()/1e6, "MB/s-excl-lock")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

func mkdir(b *testing.B, dir string) string {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	return dir
}
