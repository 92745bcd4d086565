package backupstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/engine"
)

var (
	// ErrNotFound means the named backup has no cfg on the target.
	ErrNotFound = errors.New("backup not found")
	// ErrInProgress means the backup's cfg is a placeholder (CompleteTime
	// empty): it is being written, or its writer failed. It cannot be
	// restored; backing it up again resumes it, deleting it removes it.
	ErrInProgress = errors.New("backup is in progress or failed before completing")
	// ErrChecksumConflict is wrapped by *ChecksumConflictError.
	ErrChecksumConflict = errors.New("a complete backup with this name holds different content")
	// ErrSourceChanged means the bytes read from the source do not have the
	// checksum the request promised; nothing was committed.
	ErrSourceChanged = errors.New("source content does not match the expected checksum")
	// ErrChecksumMismatch means an image's SHA-512 differs from the cfg's
	// Checksum although every block verified. Restore no longer returns
	// it: with every block verified, a SHA-512 cfg Checksum is adopted
	// (the cfg's block map fixes every byte); Verify hashes the whole
	// image and reports such a cfg (VerifyReport.ChecksumProblem).
	ErrChecksumMismatch = errors.New("restored image checksum does not match the backup")
)

// ChecksumConflictError reports that Backup found a complete cfg under the
// requested name whose Checksum differs from the source's. Nothing was
// written: pick another name or delete the old backup first.
type ChecksumConflictError struct {
	Name     string
	Existing string // Checksum in the existing cfg ("" if it has none)
	New      string // SHA-512 of the source
}

func (e *ChecksumConflictError) Error() string {
	return fmt.Sprintf("backup %q already exists with checksum %q, the source has %q: delete the old backup or use another name",
		e.Name, e.Existing, e.New)
}

// Is makes errors.Is(err, ErrChecksumConflict) true.
func (e *ChecksumConflictError) Is(target error) bool { return target == ErrChecksumConflict }

// BlockError names the block an operation failed on.
type BlockError struct {
	Key    string // object key in the pool
	Offset int64  // offset of the block in the image
	Err    error
}

func (e *BlockError) Error() string {
	return fmt.Sprintf("block at offset %d (%s): %v", e.Offset, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *BlockError) Unwrap() error { return e.Err }

// SourceDamagedError reports that blocks read from a backup's source no
// longer hash to the IDs the source's manifest records (the copy rotted or
// was written behind plinth's back). Those blocks were not uploaded and
// the backup was not committed. It matches engine.ErrDamaged and
// engine.ErrChecksumMismatch with errors.Is.
type SourceDamagedError struct {
	// Offsets are the byte offsets of the damaged blocks, sorted.
	Offsets []int64
}

func (e *SourceDamagedError) Error() string {
	const show = 8
	parts := make([]string, 0, min(len(e.Offsets), show))
	for _, o := range e.Offsets[:min(len(e.Offsets), show)] {
		parts = append(parts, fmt.Sprintf("%d (offset %d)", o/engine.BlockSize, o))
	}
	list := strings.Join(parts, ", ")
	if len(e.Offsets) > show {
		list += fmt.Sprintf(" and %d more", len(e.Offsets)-show)
	}
	if len(e.Offsets) == 1 {
		return "the source is damaged: block " + list + " no longer matches the copy's manifest; it was not uploaded " +
			"(verify and repair the copy, or back up another copy)"
	}
	return "the source is damaged: blocks " + list + " no longer match the copy's manifest; none of them was uploaded " +
		"(verify and repair the copy, or back up another copy)"
}

// Is makes errors.Is(err, engine.ErrDamaged) and errors.Is(err,
// engine.ErrChecksumMismatch) true.
func (e *SourceDamagedError) Is(target error) bool {
	return target == engine.ErrDamaged || target == engine.ErrChecksumMismatch
}
