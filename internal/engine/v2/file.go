package v2

import (
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/engine"
)

var _ engine.Sink = (*fileSink)(nil)

// openFileSource opens an image file (a staged file, a conversion's
// output, a v1 copy's backing file) as an engine.Source.
func openFileSource(path string) (*engine.FileSource, error) { return engine.OpenFileSource(path) }

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
