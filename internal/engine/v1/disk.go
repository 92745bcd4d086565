package v1

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/google/uuid"

	"github.com/plinth-storage/plinth/internal/engine"
)

const (
	// DiskConfigName is the file in a disk's root that holds its UUID.
	DiskConfigName = "plinth-disk.cfg"
	// ImagesDirName is the folder under a disk that holds one folder per copy.
	ImagesDirName = "backing-images"
	// BackingName is the image file of a ready copy.
	BackingName = "backing"
	// ConfigName is the copy's metadata file next to BackingName.
	ConfigName = "backing.cfg"
	// TempName is the file a Writer fills before Commit renames it.
	TempName = "backing.tmp"
	// ManifestName is the copy's block manifest (engine.Manifest's binary
	// form), written durably before the copy is published.
	ManifestName = "backing.manifest"
)

// CopyID names one copy on a disk: the backing image's name and UUID.
type CopyID = engine.CopyID

// The engine's sentinel errors, under the names v1 always had.
var (
	// ErrExists means a ready copy with this ID is already on the disk.
	ErrExists = engine.ErrExists
	// ErrBusy means a writer in this process fills the copy.
	ErrBusy = engine.ErrBusy
	// ErrChecksumMismatch means content does not hash to the SHA-512 it
	// was required to have.
	ErrChecksumMismatch = engine.ErrChecksumMismatch
)

var _ engine.Disk = (*Disk)(nil)

// ErrDiskMismatch means the disk at a path is not the disk the caller
// expected (another filesystem was mounted there, or the path was changed).
var ErrDiskMismatch = errors.New("disk UUID mismatch")

// Disk is one filesystem disk: a directory that holds copies. A Disk is safe
// for concurrent use; different copies never share files.
type Disk struct {
	path string
	uuid string

	mu     sync.Mutex
	active map[string]bool        // copy folders a writer in this process fills
	locks  map[string]*sync.Mutex // per copy folder: manifest builds, repairs
}

// Capacity is a disk's space in bytes, as statfs reports it.
type Capacity struct {
	// Maximum is the filesystem's size.
	Maximum int64
	// Available is what an unprivileged writer can still use.
	Available int64
}

type diskConfig struct {
	DiskUUID string `json:"diskUUID"`
}

// OpenDisk opens the disk at path, which must be an existing directory (a
// missing mount must not silently become a folder on the root filesystem).
// On first use it creates the disk's UUID file and backing-images folder.
// If expectUUID is not empty and the disk already has another UUID, it
// returns ErrDiskMismatch.
func OpenDisk(path, expectUUID string) (*Disk, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("disk path %q: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open disk %s: %w (create the directory or fix the disk's path)", abs, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open disk %s: not a directory (a filesystem disk is a directory)", abs)
	}
	id, err := loadOrCreateDiskUUID(abs, expectUUID)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, ImagesDirName), 0o750); err != nil {
		return nil, fmt.Errorf("open disk %s: create %s: %w", abs, ImagesDirName, err)
	}
	return &Disk{path: abs, uuid: id, active: map[string]bool{}, locks: map[string]*sync.Mutex{}}, nil
}

func loadOrCreateDiskUUID(dir, expect string) (string, error) {
	cfgPath := filepath.Join(dir, DiskConfigName)
	data, err := os.ReadFile(cfgPath)
	switch {
	case err == nil:
		var cfg diskConfig
		if err := json.Unmarshal(data, &cfg); err != nil || cfg.DiskUUID == "" {
			return "", fmt.Errorf("disk %s: %s is not valid (%v): restore it or remove it to give the disk a new identity", dir, cfgPath, err)
		}
		if expect != "" && cfg.DiskUUID != expect {
			return "", fmt.Errorf("disk %s has UUID %s, expected %s (is another filesystem mounted there?): %w", dir, cfg.DiskUUID, expect, ErrDiskMismatch)
		}
		return cfg.DiskUUID, nil
	case errors.Is(err, fs.ErrNotExist):
		id := expect
		if id == "" {
			id = uuid.NewString()
		}
		data, _ := json.Marshal(diskConfig{DiskUUID: id})
		if err := writeFileDurable(cfgPath, data); err != nil {
			return "", fmt.Errorf("disk %s: write identity: %w", dir, err)
		}
		return id, nil
	default:
		return "", fmt.Errorf("disk %s: read %s: %w", dir, cfgPath, err)
	}
}

// Path is the disk's absolute directory.
func (d *Disk) Path() string { return d.path }

// UUID is the disk's identity, stable across restarts and path changes.
func (d *Disk) UUID() string { return d.uuid }

// Engine is engine.V1.
func (d *Disk) Engine() engine.Engine { return engine.V1 }

// Capacity reports the filesystem's size and the bytes an unprivileged
// writer can still use (statfs).
func (d *Disk) Capacity() (maximum, available int64, err error) {
	c, err := d.Stat()
	return c.Maximum, c.Available, err
}

// Stat reports the disk's filesystem size and free space.
func (d *Disk) Stat() (Capacity, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.path, &st); err != nil {
		return Capacity{}, fmt.Errorf("statfs disk %s: %w", d.path, err)
	}
	bsize := int64(st.Bsize)
	return Capacity{Maximum: int64(st.Blocks) * bsize, Available: int64(st.Bavail) * bsize}, nil
}

// CopyDir is the folder of the copy on this disk.
func (d *Disk) CopyDir(id CopyID) string {
	return filepath.Join(d.path, ImagesDirName, id.String())
}

// BackingPath is the image file of the copy; what a v1 replica opens.
func (d *Disk) BackingPath(id CopyID) string {
	return filepath.Join(d.CopyDir(id), BackingName)
}

// ManifestPath is the copy's block manifest file.
func (d *Disk) ManifestPath(id CopyID) string {
	return filepath.Join(d.CopyDir(id), ManifestName)
}

// lockCopy serialises the slow metadata work on one copy (building its
// manifest, repairing a block) and returns the unlock.
func (d *Disk) lockCopy(id CopyID) func() {
	d.mu.Lock()
	l, ok := d.locks[id.String()]
	if !ok {
		l = &sync.Mutex{}
		d.locks[id.String()] = l
	}
	d.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// claim marks the copy's folder as being filled by a writer in this
// process; it fails with ErrBusy when one already is. release undoes it.
func (d *Disk) claim(id CopyID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.active[id.String()] {
		return fmt.Errorf("create copy %s on disk %s: another writer fills it: %w", id, d.path, ErrBusy)
	}
	d.active[id.String()] = true
	return nil
}

func (d *Disk) release(id CopyID) {
	d.mu.Lock()
	delete(d.active, id.String())
	d.mu.Unlock()
}

func (d *Disk) isActive(folder string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.active[folder]
}
