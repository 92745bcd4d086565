package benchvs

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// durableBytes is how much DiskWriteSpeed writes.
const durableBytes = 512 << 20

// DiskWriteSpeed measures how fast the disk under dir takes data durably:
// it writes durableBytes of non-zero data to a new file and fsyncs it, as
// plinth does before a restored copy may be called ready. It is the floor
// of any restore that promises the copy survives a crash.
func DiskWriteSpeed(dir string) (float64, error) {
	path := filepath.Join(dir, "durable-write-test")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("measure the disk's durable write speed: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 2<<20)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	start := time.Now()
	for off := int64(0); off < durableBytes; off += int64(len(buf)) {
		if _, err := f.WriteAt(buf, off); err != nil {
			return 0, fmt.Errorf("measure the disk's durable write speed: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("measure the disk's durable write speed: %w", err)
	}
	return float64(durableBytes) / 1e6 / time.Since(start).Seconds(), nil
}

// syncFile fsyncs path and its directory and returns how long that took:
// what restic's restore leaves undone before its file survives a crash.
func syncFile(path string) (time.Duration, error) {
	start := time.Now()
	for _, p := range []string{path, filepath.Dir(path)} {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("fsync %s: %w", p, err)
		}
	}
	return time.Since(start), nil
}
