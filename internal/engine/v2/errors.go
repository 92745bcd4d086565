package v2

import (
	"errors"

	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
)

// Sentinel errors. They are data engine v1's own values, so a caller
// branches on them with errors.Is whichever engine it drives.
var (
	// ErrExists means a ready copy with this ID is already on the disk.
	ErrExists = v1.ErrExists
	// ErrBusy means the copy is being written, or an interrupted write left
	// an incomplete volume that CleanupIncomplete has not removed yet.
	ErrBusy = v1.ErrBusy
	// ErrChecksumMismatch means content does not hash to the expected
	// SHA-512.
	ErrChecksumMismatch = v1.ErrChecksumMismatch
)

// ErrQemuImgMissing means a qcow2 image had to be converted and qemu-img is
// not installed.
var ErrQemuImgMissing = errors.New("qemu-img not found")

// ErrQcow2Content is wrapped by RandomWriter.Commit when the content
// written is a qcow2 image: a v2 copy holds raw content, so such a restore
// must go through a file and Import, which converts it.
var ErrQcow2Content = errors.New("content is a qcow2 image")
