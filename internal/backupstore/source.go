package backupstore

import (
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
)

// Extent is a byte range of an image that may hold data (engine.Extent).
type Extent = engine.Extent

// Source is an image to back up (engine.Source). ReadAt must be safe for
// concurrent use and return exactly len(p) bytes for ranges inside Size;
// everything outside DataExtents reads as zeros and is neither read nor
// uploaded.
type Source = engine.Source

// FileSource is a Source over a (possibly sparse) regular file; it is
// engine's, shared with both data engines.
type FileSource = engine.FileSource

// OpenFileSource opens path read-only as a FileSource. Close it when done.
func OpenFileSource(path string) (*FileSource, error) { return engine.OpenFileSource(path) }

// windowsOf calls fn with the index of every BlockSize window of an image
// of size bytes that overlaps an extent, in increasing order, once each.
func windowsOf(extents []Extent, size int64, fn func(idx int64) bool) {
	next := int64(0) // first window not yet emitted
	for _, e := range extents {
		end := min(e.Offset+e.Length, size)
		if e.Length <= 0 || e.Offset >= end {
			continue
		}
		first := max(e.Offset/format.BlockSize, next)
		last := (end - 1) / format.BlockSize
		for i := first; i <= last; i++ {
			if !fn(i) {
				return
			}
		}
		next = max(next, last+1)
	}
}

// windowLen is the length of window idx in an image of size bytes.
func windowLen(idx, size int64) int64 {
	return min(format.BlockSize, size-idx*format.BlockSize)
}
