package v1

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// RandomWriter fills a new copy by positioned writes, in any order and
// from several goroutines, as a restore from a backup does. Unlike Writer
// it does not hash: the caller verifies the content (every block and the
// whole image) and passes the verified checksum to Commit.
type RandomWriter struct {
	id       CopyID
	disk     *Disk
	dir, tmp string
	f        *os.File
	size     int64
	limits   imagefmt.Limits
	finished bool
}

// CreateRandom starts a new copy filled by positioned writes. It fails like
// Create: ErrExists if the copy is there, ErrBusy if its temp file exists.
func (d *Disk) CreateRandom(id CopyID) (*RandomWriter, error) {
	dir, tmp, f, err := d.startCopy(id)
	if err != nil {
		return nil, err
	}
	return &RandomWriter{id: id, disk: d, dir: dir, tmp: tmp, f: f}, nil
}

// SetLimits sets the bounds Commit judges the image against (see
// imagefmt.Check); without it, a zero imagefmt.Limits (its defaults).
func (w *RandomWriter) SetLimits(l imagefmt.Limits) { w.limits = l }

// Prepare sizes the copy: afterwards it is size bytes of zeros (a hole).
func (w *RandomWriter) Prepare(size int64) error {
	if err := w.f.Truncate(size); err != nil {
		return fmt.Errorf("size copy %s to %d bytes: %w", w.id, size, err)
	}
	w.size = size
	return nil
}

// WriteAt writes p at off; safe for concurrent use.
func (w *RandomWriter) WriteAt(p []byte, off int64) (int, error) { return w.f.WriteAt(p, off) }

// Sync flushes the written data to the disk.
func (w *RandomWriter) Sync() error {
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("fsync copy %s: %w", w.id, err)
	}
	return nil
}

// Commit publishes the copy with checksum, which the caller has verified
// to be the SHA-512 of the content written, after checking the image with
// imagefmt.Check: an unsafe or malformed qcow2 fails with an error wrapping
// imagefmt.ErrRefused that says why, and the temp file is removed.
func (w *RandomWriter) Commit(checksum string) (Config, error) {
	if w.finished {
		return Config{}, fmt.Errorf("commit copy %s: writer already finished", w.id)
	}
	cfg, err := w.commit(checksum)
	if err != nil {
		w.Abort()
		return Config{}, err
	}
	w.finished = true
	return cfg, nil
}

func (w *RandomWriter) commit(checksum string) (Config, error) {
	f := w.f
	w.f = nil // sealCopy closes it
	return w.disk.sealCopy(w.id, w.dir, w.tmp, f, w.size, w.limits, checksum, checksum)
}

// Abort removes the temp file; a no-op after a successful Commit.
func (w *RandomWriter) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort copy %s: %w", w.id, err)
	}
	os.Remove(w.dir)
	return nil
}
