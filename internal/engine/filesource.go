package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// FileSource is a Source over a (possibly sparse) regular file: a v1
// copy, a staged download, a conversion's output. Holes are found with
// SEEK_DATA/SEEK_HOLE on its own descriptor.
type FileSource struct {
	f    *os.File
	size int64
	mu   sync.Mutex // serialises DataExtents: it moves the file offset
}

var _ Source = (*FileSource)(nil)

// OpenFileSource opens path read-only. Close it when done.
func OpenFileSource(path string) (*FileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open image file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat image file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("image file %s is not a regular file", path)
	}
	return &FileSource{f: f, size: st.Size()}, nil
}

// ReadAt reads with pread; safe for concurrent use.
func (s *FileSource) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }

// Size is the file's size at open time.
func (s *FileSource) Size() int64 { return s.size }

// Close closes the file.
func (s *FileSource) Close() error { return s.f.Close() }

// Linux lseek whence values for sparse files.
const (
	seekData = 3
	seekHole = 4
)

// DataExtents walks the file with SEEK_DATA/SEEK_HOLE. On a file system
// without sparse-seek support the whole file is one extent.
func (s *FileSource) DataExtents(ctx context.Context) ([]Extent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Extent
	for off := int64(0); off < s.size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start, err := s.f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) {
			break // no data after off
		}
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return []Extent{{Offset: 0, Length: s.size}}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find data in %s: %w", s.f.Name(), err)
		}
		end, err := s.f.Seek(start, seekHole)
		if err != nil {
			return nil, fmt.Errorf("find hole in %s: %w", s.f.Name(), err)
		}
		end = min(end, s.size)
		if end > start {
			out = append(out, Extent{Offset: start, Length: end - start})
		}
		off = end
	}
	return out, nil
}
