package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors every engine returns (wrapped), so callers branch with
// errors.Is whichever engine they drive.
var (
	// ErrExists means a ready copy with this ID is already on the disk.
	ErrExists = errors.New("copy already exists")
	// ErrBusy means another writer fills the copy, or an interrupted write
	// left debris the disk's start-up cleanup has not removed yet.
	ErrBusy = errors.New("copy is being written")
	// ErrChecksumMismatch means content does not hash to the SHA-512 it
	// was required to have.
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrDamaged is wrapped by *DamagedError.
	ErrDamaged = errors.New("copy is damaged")
)

// DamagedError says which blocks of a ready copy no longer hash to the IDs
// its manifest recorded (bit rot, or a write behind plinth's back). It
// matches ErrDamaged and ErrChecksumMismatch with errors.Is.
type DamagedError struct {
	ID   CopyID
	Disk string // the disk's path
	// Offsets are the byte offsets of the damaged BlockSize blocks, sorted.
	Offsets []int64
	// Whole is set when the damage was found against the whole-image
	// checksum (a copy without a manifest yet), so no block can be named.
	Whole bool
}

func (e *DamagedError) Error() string {
	if e.Whole || len(e.Offsets) == 0 {
		return fmt.Sprintf("copy %s on disk %s is damaged: its content no longer hashes to its recorded checksum "+
			"(repair it from another copy or a backup, or remove it)", e.ID, e.Disk)
	}
	return fmt.Sprintf("copy %s on disk %s is damaged: %s no longer match%s the copy's manifest "+
		"(repair it from another copy or a backup, or remove it)", e.ID, e.Disk, describeBlocks(e.Offsets), pluralS(len(e.Offsets)))
}

// Is makes errors.Is(err, ErrDamaged) and errors.Is(err,
// ErrChecksumMismatch) true.
func (e *DamagedError) Is(target error) bool {
	return target == ErrDamaged || target == ErrChecksumMismatch
}

func describeBlocks(offs []int64) string {
	const show = 8
	parts := make([]string, 0, min(len(offs), show))
	for _, o := range offs[:min(len(offs), show)] {
		parts = append(parts, fmt.Sprintf("%d (offset %d)", o/BlockSize, o))
	}
	s := "block " + strings.Join(parts, ", ")
	if len(offs) > 1 {
		s = "blocks " + strings.Join(parts, ", ")
	}
	if len(offs) > show {
		s += fmt.Sprintf(" and %d more", len(offs)-show)
	}
	return s
}

func pluralS(n int) string {
	if n == 1 {
		return "es"
	}
	return ""
}
