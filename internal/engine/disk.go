package engine

import (
	"context"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Engine names a data engine, as Longhorn's API spells it.
type Engine string

const (
	V1 Engine = "v1"
	V2 Engine = "v2"
)

// VerifyOptions bound a verify or scrub.
type VerifyOptions struct {
	// BytesPerSecond caps the read rate; 0 means as fast as the disk goes.
	BytesPerSecond int64
	// Progress, if set, is called with the bytes examined so far. Check
	// calls it from several goroutines, so values may arrive out of order;
	// an engine's Verify may serialise them.
	Progress func(done int64)
}

// Disk is one disk holding copies under one data engine. Implementations
// are safe for concurrent use; the caller guarantees that one copy ID is
// created, replaced or repaired by one goroutine at a time.
type Disk interface {
	// Engine is the data engine of the disk.
	Engine() Engine
	// UUID is the disk's identity, stable across restarts and path changes.
	UUID() string
	// Path is the disk's absolute path.
	Path() string
	// Capacity reports the disk's size and the bytes still free for copies.
	Capacity() (maximum, available int64, err error)
	// Cleanup removes what interrupted work left (temp files, incomplete
	// volumes) that no writer in this process owns, and returns what it
	// removed. Call it at start-up, before any writer runs on the disk.
	Cleanup() ([]string, error)

	// Present returns nil when a ready copy id is on the disk, and an
	// error matching fs.ErrNotExist when none is.
	Present(id CopyID) error
	// Remove deletes the copy, ready or partial, with its manifest.
	// Removing a copy that is not there is not an error.
	Remove(id CopyID) error
	// Open returns a reader of the ready copy id.
	Open(id CopyID) (CopyReader, error)

	// Create starts a new copy filled in order (download, upload). It
	// clears debris a crash left for id, and fails with ErrExists when a
	// ready copy is there. The copy is judged on commit against limits.
	Create(ctx context.Context, id CopyID, limits imagefmt.Limits) (Filler, error)
	// Restore makes copy id from a backup. The copy's checksum and
	// manifest are what the restore proved (Restored); the engine hashes
	// only what the restore could not vouch for. Debris of an earlier
	// attempt is cleared first; on error nothing is left.
	Restore(ctx context.Context, id CopyID, from BackupReader, limits imagefmt.Limits, progress func(done, total int64)) (Record, error)
	// Replicate makes copy id from src, a reader of a ready copy of the
	// same image (on any disk, of either engine) whose manifest is
	// srcManifest. Every block read is checked against srcManifest: a
	// mismatch fails with a *DamagedError naming the source's block. A v2
	// disk converts a qcow2 source to raw.
	Replicate(ctx context.Context, id CopyID, src CopyReader, srcManifest *Manifest, limits imagefmt.Limits, progress func(done int64)) (Record, error)

	// Record describes the ready copy id from its metadata, reading none
	// of its content.
	Record(id CopyID) (Record, error)
	// Manifest returns the ready copy's block manifest. A copy made before
	// manifests existed gets one built once (a full read, checked against
	// the copy's recorded checksum; a mismatch is a *DamagedError) and
	// stored durably, so later calls read it back.
	Manifest(ctx context.Context, id CopyID) (*Manifest, error)
	// Verify re-reads the ready copy and checks every block against its
	// manifest (zero blocks must read as zeros, which needs no hashing).
	// A damaged copy fails with a *DamagedError naming every bad block.
	Verify(ctx context.Context, id CopyID, opts VerifyOptions) (Record, error)
	// Repair rewrites the block at offset (a multiple of BlockSize) of the
	// ready copy id with data, which must be the whole block and hash to
	// the manifest's ID for it (else ErrChecksumMismatch and nothing is
	// written), and makes the write durable.
	Repair(ctx context.Context, id CopyID, offset int64, data []byte) error
}
