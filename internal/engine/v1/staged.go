package v1

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// staged is a new copy's temp file, owned by one writer in this process
// until it is published or dropped.
type staged struct {
	d        *Disk
	id       CopyID
	dir, tmp string
	f        *os.File
	done     bool
}

// stage validates id, refuses a ready copy (ErrExists) or one another
// writer in this process fills (ErrBusy), clears what a crashed attempt
// left in the copy's folder, and creates the temp file.
func (d *Disk) stage(id CopyID) (*staged, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if err := d.claim(id); err != nil {
		return nil, err
	}
	s := &staged{d: d, id: id, dir: d.CopyDir(id)}
	s.tmp = filepath.Join(s.dir, TempName)
	f, err := s.open()
	if err != nil {
		d.release(id)
		return nil, err
	}
	s.f = f
	return s, nil
}

func (s *staged) open() (*os.File, error) {
	id, d := s.id, s.d
	if _, err := os.Stat(filepath.Join(s.dir, BackingName)); err == nil {
		return nil, fmt.Errorf("create copy %s on disk %s: %w", id, d.path, ErrExists)
	}
	// No writer in this process owns the folder and no copy is ready in
	// it: whatever is there is debris of an interrupted attempt.
	if err := os.RemoveAll(s.dir); err != nil {
		return nil, fmt.Errorf("create copy %s on disk %s: clear an earlier attempt: %w", id, d.path, err)
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return nil, fmt.Errorf("create copy %s on disk %s: %w", id, d.path, err)
	}
	f, err := os.OpenFile(s.tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create copy %s on disk %s: %w", id, d.path, err)
	}
	return f, nil
}

// publish finishes the filled temp file of size bytes: it judges the image
// (imagefmt.Check with limits), fsyncs it, writes the manifest and the cfg
// durably and only then renames the temp file to `backing`, so a ready
// copy always has both. On error the attempt is dropped.
func (s *staged) publish(size int64, limits imagefmt.Limits, expected, current string, m *engine.Manifest) (Config, error) {
	cfg, err := s.seal(size, limits, expected, current, m)
	if err != nil {
		s.drop()
		return Config{}, fmt.Errorf("commit copy %s on disk %s: %w", s.id, s.d.path, err)
	}
	s.done = true
	s.d.release(s.id)
	return cfg, nil
}

func (s *staged) seal(size int64, limits imagefmt.Limits, expected, current string, m *engine.Manifest) (Config, error) {
	if m.Size != size || m.Checksum != current {
		return Config{}, fmt.Errorf("its manifest (%d bytes, %s) does not describe its content (%d bytes, %s)", m.Size, m.Checksum, size, current)
	}
	manifest, err := m.MarshalBinary()
	if err != nil {
		return Config{}, fmt.Errorf("encode its manifest: %w", err)
	}
	f := s.f
	s.f = nil
	info, err := imagefmt.Check(f, size, limits)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Config{}, err
	}
	fi, err := os.Stat(s.tmp)
	if err != nil {
		return Config{}, err
	}
	facts := statFacts(fi)
	cfg := Config{
		Name: s.d.BackingPath(s.id), UUID: s.id.UUID,
		Size: facts.size, VirtualSize: info.VirtualSize, RealSize: facts.realSize,
		ExpectedChecksum: expected, CurrentChecksum: current, ModificationTime: facts.mtime,
		BackingImage: s.id.Name, Format: info.Format,
	}
	if err := writeFileDurable(filepath.Join(s.dir, ManifestName), manifest); err != nil {
		return Config{}, fmt.Errorf("write its manifest: %w", err)
	}
	if err := writeConfig(s.dir, cfg); err != nil {
		return Config{}, err
	}
	if err := os.Rename(s.tmp, filepath.Join(s.dir, BackingName)); err != nil {
		return Config{}, fmt.Errorf("rename: %w", err)
	}
	err = syncDir(s.dir)
	if err == nil {
		err = syncDir(filepath.Dir(s.dir))
	}
	if err != nil {
		// The copy is visible but not durable: remove it rather than
		// report a failure and leave a copy behind.
		os.Remove(filepath.Join(s.dir, BackingName))
		return Config{}, err
	}
	return cfg, nil
}

// drop removes the temp file and whatever the attempt wrote (manifest,
// cfg), and the copy's folder when it is left empty. Idempotent; a no-op
// after publish.
func (s *staged) drop() error {
	if s.done {
		return nil
	}
	s.done = true
	defer s.d.release(s.id)
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	var first error
	for _, name := range []string{TempName, ManifestName, ConfigName} {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = fmt.Errorf("abort copy %s on disk %s: %w", s.id, s.d.path, err)
		}
	}
	os.Remove(s.dir) // only succeeds when empty
	return first
}

// record is the engine's view of a cfg.
func (c Config) record() engine.Record {
	return engine.Record{ID: c.ID(), Checksum: c.CurrentChecksum, Size: c.Size, VirtualSize: c.VirtualSize, Format: c.Format}
}
