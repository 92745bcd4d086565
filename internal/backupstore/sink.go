package backupstore

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Sink receives a restored image (engine.Sink): Prepare sizes it (holes
// stay zero), WriteAt is called from several goroutines, Sync makes it
// durable.
type Sink = engine.Sink

// FileSink is a Sink writing a sparse regular file, the v1 copy.
type FileSink struct {
	f    *os.File
	path string
}

var _ Sink = (*FileSink)(nil)

// CreateFileSink creates (or truncates) the file at path. Close it when
// done; on a failed restore the caller removes the file.
func CreateFileSink(path string) (*FileSink, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create restore file: %w", err)
	}
	return &FileSink{f: f, path: path}, nil
}

// Prepare truncates the file to size: a sparse file of zeros.
func (s *FileSink) Prepare(size int64) error {
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate %s: %w", s.path, err)
	}
	if err := s.f.Truncate(size); err != nil {
		return fmt.Errorf("size %s to %d bytes: %w", s.path, size, err)
	}
	return nil
}

// WriteAt writes with pwrite; safe for concurrent use.
func (s *FileSink) WriteAt(p []byte, off int64) (int, error) { return s.f.WriteAt(p, off) }

// Sync fsyncs the file and its directory (so the new name is durable too).
func (s *FileSink) Sync() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", s.path, err)
	}
	d, err := os.Open(filepath.Dir(s.path))
	if err != nil {
		return fmt.Errorf("open directory of %s for fsync: %w", s.path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory of %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file.
func (s *FileSink) Close() error { return s.f.Close() }
