package v2

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/plinth-storage/plinth/internal/engine"
)

var (
	_ engine.Source = (*fileSource)(nil)
	_ engine.Sink   = (*fileSink)(nil)
)

// fileSource is an image file read as an engine.Source: pread, and data
// extents from SEEK_DATA/SEEK_HOLE (a staged file, a conversion's output,
// a v1 copy's backing file).
type fileSource struct {
	f    *os.File
	size int64
	mu   sync.Mutex // Seek in DataExtents
}

func openFileSource(path string) (*fileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open image file: %w", err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open image file: %w", err)
	}
	return &fileSource{f: f, size: st.Size()}, nil
}

func (s *fileSource) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }
func (s *fileSource) Size() int64                             { return s.size }
func (s *fileSource) Close() error                            { return s.f.Close() }

// Linux lseek whence values for sparse files.
const (
	seekData = 3
	seekHole = 4
)

// DataExtents walks the file with SEEK_DATA/SEEK_HOLE; on a file system
// without them the whole file is one extent.
func (s *fileSource) DataExtents(ctx context.Context) ([]engine.Extent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []engine.Extent
	for off := int64(0); off < s.size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start, err := s.f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) {
			break
		}
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return []engine.Extent{{Offset: 0, Length: s.size}}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find data in %s: %w", s.f.Name(), err)
		}
		end, err := s.f.Seek(start, seekHole)
		if err != nil {
			return nil, fmt.Errorf("find a hole in %s: %w", s.f.Name(), err)
		}
		end = min(end, s.size)
		if end > start {
			out = append(out, engine.Extent{Offset: start, Length: end - start})
		}
		off = end
	}
	return out, nil
}

// fileSink is a staged file a restore writes into (a qcow2 backup, which
// must be converted before it can be a v2 copy).
type fileSink struct{ f *os.File }

// Prepare empties the file and makes it size bytes of holes.
func (s *fileSink) Prepare(size int64) error {
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("prepare staged file %s: %w", s.f.Name(), err)
	}
	if err := s.f.Truncate(size); err != nil {
		return fmt.Errorf("prepare staged file %s with %d bytes: %w", s.f.Name(), size, err)
	}
	return nil
}

func (s *fileSink) WriteAt(p []byte, off int64) (int, error) { return s.f.WriteAt(p, off) }

// Sync does nothing: a staged file is transient, and what is imported from
// it is made durable in the volume store.
func (s *fileSink) Sync() error { return nil }
