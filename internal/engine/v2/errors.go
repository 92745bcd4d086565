package v2

import (
	"errors"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Sentinel errors. They are the engine contract's own values, so a caller
// branches on them with errors.Is whichever engine it drives.
var (
	// ErrExists means a ready copy with this ID is already on the disk.
	ErrExists = engine.ErrExists
	// ErrBusy means the copy is being written, or an interrupted write left
	// an incomplete volume that Cleanup has not removed yet.
	ErrBusy = engine.ErrBusy
	// ErrChecksumMismatch means content does not hash to the expected
	// SHA-512.
	ErrChecksumMismatch = engine.ErrChecksumMismatch
)

// ErrQemuImgMissing means a qcow2 image had to be converted and qemu-img is
// not installed.
var ErrQemuImgMissing = errors.New("qemu-img not found")

// ErrQcow2Content is wrapped by RandomWriter.Commit when the content
// written is a qcow2 image: a v2 copy holds raw content, so such a restore
// must go through a staged file, which is converted (Restore does this).
var ErrQcow2Content = errors.New("content is a qcow2 image")
