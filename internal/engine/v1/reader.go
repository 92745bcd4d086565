package v1

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
)

// fileSource is an engine.Source over a file of a known size whose data
// extents come from SEEK_DATA/SEEK_HOLE on seekFile, a descriptor used for
// nothing else (seeking moves its offset).
type fileSource struct {
	f        *os.File // ReadAt
	size     int64
	mu       sync.Mutex
	seekFile *os.File
}

var _ engine.Source = (*fileSource)(nil)

func (s *fileSource) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }

// Size is the content's length in bytes.
func (s *fileSource) Size() int64 { return s.size }

// DataExtents lists the file's data ranges (SEEK_DATA/SEEK_HOLE); one
// extent covering the file on a filesystem that cannot tell.
func (s *fileSource) DataExtents(ctx context.Context) ([]engine.Extent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []engine.Extent
	err := forEachExtent(s.seekFile, s.size, func(off, length int64, data bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if data {
			out = append(out, engine.Extent{Offset: off, Length: length})
		}
		return nil
	})
	return out, err
}

// copyReader reads a ready v1 copy: an engine.CopyReader over its backing
// file. It also tells the file's path (FilePath), so a v2 disk can convert
// a qcow2 copy with qemu-img straight from it, and its disk (DiskPath).
type copyReader struct {
	fileSource
	disk string
}

var _ engine.CopyReader = (*copyReader)(nil)

// Read reads sequentially from the current offset.
func (r *copyReader) Read(p []byte) (int, error) { return r.f.Read(p) }

// Seek sets the offset of the next Read.
func (r *copyReader) Seek(offset int64, whence int) (int64, error) { return r.f.Seek(offset, whence) }

// FilePath is the backing file's path.
func (r *copyReader) FilePath() string { return r.f.Name() }

// DiskPath is the path of the disk holding the copy.
func (r *copyReader) DiskPath() string { return r.disk }

// Close releases both descriptors.
func (r *copyReader) Close() error {
	err := r.f.Close()
	if serr := r.seekFile.Close(); err == nil {
		err = serr
	}
	return err
}

// Open returns a reader of the ready copy id: random access, sequential
// reads with seeking, and its data extents. It also implements
// `FilePath() string` (the backing file) and `DiskPath() string`. An error
// matching fs.ErrNotExist means the copy is not on the disk. The caller
// closes the reader.
func (d *Disk) Open(id CopyID) (engine.CopyReader, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	return d.openReader(id)
}

func (d *Disk) openReader(id CopyID) (*copyReader, error) {
	path := d.BackingPath(id)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open copy %s on disk %s: %w", id, d.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open copy %s on disk %s: %w", id, d.path, err)
	}
	g, err := os.Open(path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open copy %s on disk %s: %w", id, d.path, err)
	}
	return &copyReader{fileSource: fileSource{f: f, size: fi.Size(), seekFile: g}, disk: d.path}, nil
}

// sourceDisk names the disk a CopyReader reads from, for errors.
func sourceDisk(src engine.CopyReader) string {
	if r, ok := src.(interface{ DiskPath() string }); ok {
		return r.DiskPath()
	}
	if r, ok := src.(interface{ FilePath() string }); ok {
		return filepath.Dir(r.FilePath())
	}
	return "(the source's)"
}
