package v2

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

var _ engine.Disk = (*Disk)(nil)

// Disk is one block disk holding v2 copies in a volume store. It is safe
// for concurrent use: copies with different IDs are written in parallel.
type Disk struct {
	store *volstore.Store
	// stageDir holds the files sequential sources are staged in before
	// they are judged and imported; shared by every v2 disk of a daemon.
	stageDir string
	// mfMu serialises building the manifests of copies that have none.
	mfMu sync.Mutex

	mu sync.Mutex
	// busy holds the volume names a writer in this process owns; those
	// volumes are not ready and must not be cleaned up or written twice.
	busy map[string]bool
}

// OpenDisk opens the block disk at path: a block device, or a regular
// file, created sparse at size bytes if it is missing or empty. A disk that
// holds no volume store yet is formatted (with the default 2 MiB clusters);
// one that does is opened, which verifies it first and refuses a damaged
// store (matching volstore.ErrDamaged, with the report), a store in another
// format version (volstore.ErrUnsupportedVersion) and a disk held by another
// process (volstore.ErrInUse). size is used only to create the file; for an
// existing unformatted file or device it must be 0 or its size. A disk that
// holds other data (its first 4 KiB are not zero) is never formatted.
//
// stageDir is a directory (created if missing) shared by all v2 disks of a
// daemon, where downloads, uploads and qcow2 restores are staged as files
// before they are judged, converted and imported; files of different disks
// and copies never collide (see Cleanup).
func OpenDisk(path string, size int64, stageDir string) (*Disk, error) {
	if stageDir == "" {
		return nil, fmt.Errorf("open block disk %s: no staging directory given", path)
	}
	stage, err := filepath.Abs(stageDir)
	if err != nil {
		return nil, fmt.Errorf("staging directory %q: %w", stageDir, err)
	}
	if err := os.MkdirAll(stage, 0o700); err != nil {
		return nil, fmt.Errorf("create the staging directory for block disks: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("block disk path %q: %w", path, err)
	}
	s, err := volstore.Open(abs)
	if errors.Is(err, volstore.ErrNotFormatted) || errors.Is(err, fs.ErrNotExist) {
		s, err = volstore.Format(abs, size, volstore.FormatOptions{})
		if err != nil {
			return nil, fmt.Errorf("format block disk %s: %w", abs, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open block disk %s: %w", abs, err)
	}
	return &Disk{store: s, stageDir: stage, busy: map[string]bool{}}, nil
}

// Engine is engine.V2.
func (d *Disk) Engine() engine.Engine { return engine.V2 }

// UUID is the disk's identity: the volume store's UUID, fixed when it was
// formatted.
func (d *Disk) UUID() string { return d.store.UUID() }

// Path is the disk's absolute path.
func (d *Disk) Path() string { return d.store.Path() }

// Capacity returns the bytes of all data clusters (storageMaximum) and of
// the free ones (storageAvailable), both exact; it never fails.
func (d *Disk) Capacity() (maximum, available int64, err error) {
	maximum, available = d.store.Capacity()
	return maximum, available, nil
}

// ClusterSize is the store's allocation unit in bytes.
func (d *Disk) ClusterSize() int64 { return d.store.ClusterSize() }

// Close commits and closes the store. Writers still running fail from
// then on; their volumes are removed by CleanupIncomplete at the next open.
func (d *Disk) Close() error {
	if err := d.store.Close(); err != nil {
		return fmt.Errorf("close block disk %s: %w", d.Path(), err)
	}
	return nil
}

// claim reserves the copy id for one writer and returns its volume name.
// It fails with ErrExists when a ready copy is there and with ErrBusy when
// a writer owns it or an incomplete volume is left from a crash.
func (d *Disk) claim(id CopyID) (string, error) {
	name, err := volumeName(id)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy[name] {
		return "", fmt.Errorf("create copy %s on disk %s: another writer is filling it: %w", id, d.Path(), ErrBusy)
	}
	v, err := d.store.Get(name)
	switch {
	case err == nil && v.Attrs()[volstore.AttrState] == StateReady:
		return "", fmt.Errorf("create copy %s on disk %s: %w", id, d.Path(), ErrExists)
	case err == nil:
		return "", fmt.Errorf("create copy %s on disk %s: an incomplete volume of an interrupted write is there "+
			"(Cleanup removes it): %w", id, d.Path(), ErrBusy)
	case !errors.Is(err, volstore.ErrNotFound):
		return "", fmt.Errorf("create copy %s: %w", id, err)
	}
	d.busy[name] = true
	return name, nil
}

// release ends a writer's claim on a volume name.
func (d *Disk) release(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.busy, name)
}

// isBusy reports whether a writer in this process owns the volume name.
func (d *Disk) isBusy(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.busy[name]
}

// clearDebris removes what an interrupted write left for id (a volume that
// is not ready, its manifest, its staged files) unless a writer in this
// process owns it; a ready copy is left alone.
func (d *Disk) clearDebris(id CopyID) error {
	name, err := volumeName(id)
	if err != nil {
		return err
	}
	if d.isBusy(name) {
		return nil
	}
	v, err := d.store.Get(name)
	if err == nil && v.Attrs()[volstore.AttrState] == StateReady {
		return nil
	}
	if err := d.RemoveVolume(name); err != nil {
		return err
	}
	if err := d.removeManifest(name); err != nil {
		return err
	}
	return d.removeStaged(name)
}
