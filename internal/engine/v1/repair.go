package v1

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Repair rewrites the block at offset (a multiple of engine.BlockSize) of
// the ready copy id with data. data must be the whole block and hash to
// the manifest's ID for it, or be all zeros for a zero block; otherwise
// Repair fails with an error wrapping ErrChecksumMismatch and writes
// nothing. A zero block becomes a hole again (or zeros where the
// filesystem cannot punch one). The write is fsynced, and the cfg records
// the file's new mtime and allocated size so the copy is not reported
// Changed.
func (d *Disk) Repair(ctx context.Context, id CopyID, offset int64, data []byte) error {
	m, err := d.Manifest(ctx, id)
	if err != nil {
		return fmt.Errorf("repair copy %s on disk %s: %w", id, d.path, err)
	}
	if offset < 0 || offset%engine.BlockSize != 0 || offset >= m.Size {
		return fmt.Errorf("repair copy %s on disk %s: offset %d is not the start of a block of the %d-byte image", id, d.path, offset, m.Size)
	}
	i := int(offset / engine.BlockSize)
	if err := blockMatches(m, i, data); err != nil {
		return fmt.Errorf("repair copy %s on disk %s: block %d (offset %d): %w", id, d.path, i, offset, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("repair copy %s on disk %s: %w", id, d.path, err)
	}
	unlock := d.lockCopy(id)
	defer unlock()
	if err := d.rewriteBlock(id, offset, data, m.Blocks[i].IsZero()); err != nil {
		return fmt.Errorf("repair copy %s on disk %s: block %d (offset %d): %w", id, d.path, i, offset, err)
	}
	if _, err := d.refreshConfig(id); err != nil {
		return fmt.Errorf("repair copy %s on disk %s: record the repaired file: %w", id, d.path, err)
	}
	return nil
}

// blockMatches checks that data is block i of m's content.
func blockMatches(m *engine.Manifest, i int, data []byte) error {
	if want := engine.BlockLen(i, m.Size); len(data) != want {
		return fmt.Errorf("%w: %d bytes given, the block is %d", ErrChecksumMismatch, len(data), want)
	}
	want := m.Blocks[i]
	if want.IsZero() {
		if !engine.AllZero(data) {
			return fmt.Errorf("%w: the manifest records a zero block, the bytes given are not all zeros", ErrChecksumMismatch)
		}
		return nil
	}
	if got := engine.SumOf(data); got != want {
		return fmt.Errorf("%w: the bytes given hash to %s, the manifest records %s", ErrChecksumMismatch, got, want)
	}
	return nil
}

// rewriteBlock writes data at offset of the backing file (punching a hole
// for a zero block) and fsyncs it.
func (d *Disk) rewriteBlock(id CopyID, offset int64, data []byte, zero bool) error {
	f, err := os.OpenFile(d.BackingPath(id), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	written := false
	if zero {
		err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, offset, int64(len(data)))
		written = err == nil
		if err != nil && !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("punch a hole: %w", err)
		}
	}
	if !written {
		if _, err := f.WriteAt(data, offset); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return f.Close()
}
