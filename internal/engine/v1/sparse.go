package v1

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Linux lseek whence values for sparse files.
const (
	seekData = 3
	seekHole = 4
)

// forEachExtent calls fn for consecutive ranges that cover [0, size) of f,
// with data=false for holes. A filesystem without SEEK_DATA support yields
// one data range.
func forEachExtent(f *os.File, size int64, fn func(off, length int64, data bool) error) error {
	var off int64
	for off < size {
		dataStart, err := f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) {
			return fn(off, size-off, false) // only a hole is left
		}
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return fn(off, size-off, true)
		}
		if err != nil {
			return fmt.Errorf("seek data in %s: %w", f.Name(), err)
		}
		if dataStart > off {
			if err := fn(off, min(dataStart, size)-off, false); err != nil {
				return err
			}
		}
		if dataStart >= size {
			return nil
		}
		dataEnd, err := f.Seek(dataStart, seekHole)
		if err != nil {
			return fmt.Errorf("seek hole in %s: %w", f.Name(), err)
		}
		dataEnd = min(dataEnd, size)
		if err := fn(dataStart, dataEnd-dataStart, true); err != nil {
			return err
		}
		off = dataEnd
	}
	return nil
}

// zeroChunk feeds holes to hashes and Writers without allocating.
var zeroChunk = make([]byte, bufferSize)

// feedExtents sends f's content to w (an io.Writer; a hash or a Writer),
// reading only data ranges and feeding holes from zeroChunk.
func feedExtents(ctx context.Context, f *os.File, size int64, w io.Writer, progress func(int64)) error {
	var done int64
	buf := make([]byte, 256<<10) // used only when w cannot ReadFrom (a hash)
	return forEachExtent(f, size, func(off, length int64, data bool) error {
		for length > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(length, bufferSize)
			var err error
			if data {
				_, err = io.CopyBuffer(w, io.NewSectionReader(f, off, n), buf)
			} else {
				_, err = w.Write(zeroChunk[:n])
			}
			if err != nil {
				return err
			}
			off, length, done = off+n, length-n, done+n
			progress(done)
		}
		return nil
	})
}

// CopySparse copies the ready copy id from disk src to disk dst, reading
// only the source's data ranges (SEEK_DATA/SEEK_HOLE), keeping holes as
// holes, and committing like a Writer with the source's checksum as the
// expected one, so the new copy is verified end to end. progress, if not nil,
// gets the bytes processed so far (holes included). The new copy is judged
// against limits like any other (imagefmt.Check).
func CopySparse(ctx context.Context, src *Disk, id CopyID, dst *Disk, limits imagefmt.Limits,
	progress func(done int64)) (Config, error) {
	f, srcCfg, err := src.Open(id)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Config{}, fmt.Errorf("copy %s: stat source: %w", id, err)
	}
	if progress == nil {
		progress = func(int64) {}
	}
	w, err := dst.Create(id)
	if err != nil {
		return Config{}, err
	}
	defer w.Abort()
	w.SetLimits(limits)
	if err := feedExtents(ctx, f, fi.Size(), w, progress); err != nil {
		return Config{}, fmt.Errorf("copy %s from disk %s to disk %s: %w", id, src.path, dst.path, err)
	}
	return w.Commit(srcCfg.CurrentChecksum)
}

// Verify re-reads the copy and compares its SHA-512 with the one in its cfg.
// A match refreshes the cfg's mtime and real size (so ListCopies stops
// reporting it Changed); a difference is ErrChecksumMismatch.
func (d *Disk) Verify(ctx context.Context, id CopyID) (Config, error) {
	f, cfg, err := d.Open(id)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Config{}, fmt.Errorf("verify copy %s: %w", id, err)
	}
	h := sha512.New()
	if err := feedExtents(ctx, f, fi.Size(), h, func(int64) {}); err != nil {
		return Config{}, fmt.Errorf("verify copy %s on disk %s: %w", id, d.path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != cfg.CurrentChecksum {
		return Config{}, fmt.Errorf("verify copy %s on disk %s: %w: backing.cfg has %s, the file hashes to %s (the file was modified; remove the copy)",
			id, d.path, ErrChecksumMismatch, cfg.CurrentChecksum, sum)
	}
	facts := statFacts(fi)
	if facts.mtime != cfg.ModificationTime || facts.realSize != cfg.RealSize || facts.size != cfg.Size {
		cfg.ModificationTime, cfg.RealSize, cfg.Size = facts.mtime, facts.realSize, facts.size
		if err := writeConfig(d.CopyDir(id), cfg); err != nil {
			return Config{}, fmt.Errorf("verify copy %s: %w", id, err)
		}
	}
	return cfg, nil
}
