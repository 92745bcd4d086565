package v2

import (
	"context"
	"io"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

var _ engine.CopyReader = (*VolumeReader)(nil)

// VolumeReader reads a ready copy's raw content: as an io.ReaderAt (safe
// for concurrent use), as an io.ReadSeeker (for http.ServeContent; Read
// and Seek share one position and belong to one goroutine) and as a
// engine.Source whose data extents are the volume's allocated
// clusters, so a backup reads no hole. Reads fail with volstore.ErrDeleted
// once the copy is removed.
type VolumeReader struct {
	vol  *volstore.Volume
	disk string // the disk's path, for errors naming the source
	sr   *io.SectionReader
}

func newVolumeReader(v *volstore.Volume, disk string) *VolumeReader {
	return &VolumeReader{vol: v, disk: disk, sr: io.NewSectionReader(v, 0, v.Size())}
}

// DiskPath is the path of the disk the copy is on.
func (r *VolumeReader) DiskPath() string { return r.disk }

// ReadAt reads len(p) bytes at off; holes read as zeros.
func (r *VolumeReader) ReadAt(p []byte, off int64) (int, error) { return r.vol.ReadAt(p, off) }

// Read reads from the current position.
func (r *VolumeReader) Read(p []byte) (int, error) { return r.sr.Read(p) }

// Seek moves the position Read uses.
func (r *VolumeReader) Seek(offset int64, whence int) (int64, error) {
	return r.sr.Seek(offset, whence)
}

// Size is the content's length in bytes.
func (r *VolumeReader) Size() int64 { return r.vol.Size() }

// DataExtents lists the allocated byte ranges; everything else is zeros.
func (r *VolumeReader) DataExtents(context.Context) ([]engine.Extent, error) {
	ext := r.vol.AllocatedExtents()
	out := make([]engine.Extent, len(ext))
	for i, e := range ext {
		out[i] = engine.Extent{Offset: e.Offset, Length: e.Length}
	}
	return out, nil
}

// Close releases the reader. It holds no descriptor; Close exists so that
// callers treat v1 files and v2 readers alike.
func (r *VolumeReader) Close() error { return nil }
