package volstore

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns that has one of these
// causes wraps it, so callers branch with errors.Is.
var (
	// ErrNotFormatted means the disk holds no volume store signature.
	ErrNotFormatted = errors.New("not a plinth volume store")
	// ErrUnsupportedVersion means the store was written in a format version
	// this build cannot read or write; *VersionError carries the numbers.
	ErrUnsupportedVersion = errors.New("unsupported volume store format version")
	// ErrDamaged means verification found problems; *DamageError carries
	// the report.
	ErrDamaged = errors.New("volume store is damaged")
	// ErrInUse means another process holds the store open.
	ErrInUse = errors.New("volume store is in use by another process")
	// ErrNotFound means no volume has the given name.
	ErrNotFound = errors.New("volume not found")
	// ErrExists means a volume with the given name already exists.
	ErrExists = errors.New("volume already exists")
	// ErrReadOnly means a write was attempted on a read-only volume.
	ErrReadOnly = errors.New("volume is read-only")
	// ErrNoSpace means no free cluster is left.
	ErrNoSpace = errors.New("volume store is full")
	// ErrTooManyVolumes means the store holds the maximum number of volumes
	// it was formatted for.
	ErrTooManyVolumes = errors.New("volume store holds its maximum number of volumes")
	// ErrInvalid means an argument is out of range or malformed.
	ErrInvalid = errors.New("invalid argument")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("volume store is closed")
	// ErrDeleted means the volume was deleted after the handle was obtained.
	ErrDeleted = errors.New("volume was deleted")
)

// VersionError reports a store whose format version differs from the one
// this build implements. It matches ErrUnsupportedVersion.
type VersionError struct {
	Path      string
	Found     uint32
	Supported uint32
}

// Error says which versions are involved and what to do.
func (e *VersionError) Error() string {
	if e.Found > e.Supported {
		return fmt.Sprintf("volume store %s has format version %d, but this plinth supports only version %d: "+
			"it was written by a newer plinth; run that version (or newer) to use this disk. "+
			"It was not opened, so nothing on it was changed", e.Path, e.Found, e.Supported)
	}
	return fmt.Sprintf("volume store %s has format version %d, but this plinth supports only version %d: "+
		"no conversion from version %d exists; copy its volumes elsewhere and reformat the disk. "+
		"It was not opened, so nothing on it was changed", e.Path, e.Found, e.Supported, e.Found)
}

// Is makes errors.Is(err, ErrUnsupportedVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrUnsupportedVersion }

// DamageError is returned by Open when verification finds problems. It
// matches ErrDamaged and carries the full report.
type DamageError struct {
	Report *Report
}

// Error names the first problem and how to see the rest.
func (e *DamageError) Error() string {
	r := e.Report
	first := "unknown problem"
	if len(r.Problems) > 0 {
		first = r.Problems[0]
	}
	return fmt.Sprintf("volume store %s is damaged: %s (%d problem(s) in all); run `plinth disk check %s` "+
		"for the full report. plinth refuses to use a damaged store so nothing more on it is overwritten",
		r.Path, first, r.ProblemCount, r.Path)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }
