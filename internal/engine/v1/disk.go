package v1

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/google/uuid"
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
)

// ErrDiskMismatch means the disk at a path is not the disk the caller
// expected (another filesystem was mounted there, or the path was changed).
var ErrDiskMismatch = errors.New("disk UUID mismatch")

// Disk is one filesystem disk: a directory that holds copies. A Disk is safe
// for concurrent use; different copies never share files.
type Disk struct {
	path string
	uuid string
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
	return &Disk{path: abs, uuid: id}, nil
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

// Stat reports the disk's filesystem size and free space.
func (d *Disk) Stat() (Capacity, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.path, &st); err != nil {
		return Capacity{}, fmt.Errorf("statfs disk %s: %w", d.path, err)
	}
	bsize := int64(st.Bsize)
	return Capacity{Maximum: int64(st.Blocks) * bsize, Available: int64(st.Bavail) * bsize}, nil
}

// CopyID names one copy on a disk: the backing image's name and UUID.
type CopyID struct {
	Name string
	UUID string
}

// String is the copy's folder name, <name>-<uuid>.
func (id CopyID) String() string { return id.Name + "-" + id.UUID }

var (
	validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}$`)
	validUUID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$`)
)

// Validate refuses a name or UUID that could escape the copy's folder or
// does not follow Longhorn's naming rules.
func (id CopyID) Validate() error {
	if !validName.MatchString(id.Name) {
		return fmt.Errorf("invalid backing image name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", id.Name)
	}
	if !validUUID.MatchString(id.UUID) {
		return fmt.Errorf("invalid backing image uuid %q: use letters, digits and '-'", id.UUID)
	}
	return nil
}

// CopyDir is the folder of the copy on this disk.
func (d *Disk) CopyDir(id CopyID) string {
	return filepath.Join(d.path, ImagesDirName, id.String())
}

// BackingPath is the image file of the copy; what a v1 replica opens.
func (d *Disk) BackingPath(id CopyID) string {
	return filepath.Join(d.CopyDir(id), BackingName)
}
