package engine

import (
	"context"
	"io"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Extent is a byte range of an image that may hold data.
type Extent struct {
	Offset int64
	Length int64
}

// Source is an image to read block by block (a backup, a replication, a
// scrub). ReadAt must be safe for concurrent use and return exactly len(p)
// bytes for ranges inside Size.
type Source interface {
	io.ReaderAt
	// Size is the image size in bytes.
	Size() int64
	// DataExtents lists the ranges that may hold non-zero data, sorted and
	// non-overlapping; everything outside reads as zeros. Returning one
	// extent covering the image is always correct, only slower.
	DataExtents(ctx context.Context) ([]Extent, error)
}

// Sink receives an image by positioned writes, in any order and from
// several goroutines (a restore).
type Sink interface {
	io.WriterAt
	// Prepare is called once, before any write: afterwards the sink must
	// be size bytes long and read as zeros wherever nothing is written
	// (restore leaves holes unwritten).
	Prepare(size int64) error
	// Sync makes everything written durable; a restore succeeds only
	// after it returns nil.
	Sync() error
}

// CopyReader reads a ready copy: random access, sequential reads and
// seeking (HTTP Range), and its data extents. Close releases it.
type CopyReader interface {
	Source
	io.ReadSeeker
	Close() error
}

// Record is what a ready copy reports, whatever its engine.
type Record struct {
	ID CopyID
	// Checksum is the SHA-512 (lowercase hex) of the content stored.
	Checksum string
	// Size is the content's length in bytes; VirtualSize the guest-visible
	// size (the qcow2 header's for a v1 qcow2 copy).
	Size, VirtualSize int64
	// Format is what the copy holds: raw or qcow2 (v2 copies are raw).
	Format imagefmt.Format
}

// Filler receives a new copy's bytes in order (a download, an upload) and
// commits them. It satisfies source.Sink. Write, Written and Reset belong
// to the goroutine doing the work; Written may be called from any.
type Filler interface {
	io.Writer
	// Written is how many bytes were accepted so far.
	Written() int64
	// Reset discards everything written, to start again from byte zero.
	Reset() error
	// Commit checks expected (a SHA-512 hex, if not empty) against the
	// bytes received (ErrChecksumMismatch), judges the image with
	// imagefmt.Check (an error wrapping imagefmt.ErrRefused says why),
	// records the copy's manifest, computed while the bytes arrived, and
	// publishes the copy durably. On error nothing is left on the disk.
	Commit(ctx context.Context, expected string) (Record, error)
	// Abort removes everything written; a no-op after Commit.
	Abort()
}

// Restored is what a backup restore proved about the bytes it wrote.
type Restored struct {
	// Checksum is the image's SHA-512 hex.
	Checksum string
	// Manifest is the content's block manifest (from the backup's block
	// list), or nil when the restore could not give one; the engine then
	// computes it.
	Manifest *Manifest
	// FullPass is true when the image was hashed as a whole because the
	// backup carried no SHA-512 image checksum (a foreign backup).
	FullPass bool
}

// BackupReader is one backup an engine restores a copy from.
type BackupReader interface {
	// Restore writes the image into sink (sizing it first), verifying
	// every block against its ID, and reports what it proved. Any error
	// means the sink's content is garbage. It may be called more than once
	// (a v2 restore that turns out to be qcow2 starts over into a file).
	Restore(ctx context.Context, sink Sink, progress func(done, total int64)) (Restored, error)
	// Format tells, from the backup's first bytes, whether the image is
	// raw or qcow2; an error wrapping imagefmt.ErrRefused means plinth
	// refuses the image.
	Format(ctx context.Context) (imagefmt.Format, error)
}
