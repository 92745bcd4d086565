package v1

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Config is the content of backing.cfg. The first eight fields are
// Longhorn's, with Longhorn's meaning, so Longhorn's manager can adopt the
// copy; the rest are plinth's.
type Config struct {
	// Name is the path of the backing file (Longhorn stores the path here,
	// not the image name; BackingImage holds the name).
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Size is the file's logical length in bytes.
	Size int64 `json:"size"`
	// VirtualSize is the guest-visible size: Size for raw, the header's
	// size for qcow2.
	VirtualSize int64 `json:"virtualSize"`
	// RealSize is the allocated size (st_blocks*512) when the cfg was written.
	RealSize int64 `json:"realSize"`
	// ExpectedChecksum is the SHA-512 the copy was required to match, or "".
	ExpectedChecksum string `json:"expectedChecksum"`
	// CurrentChecksum is the SHA-512 (lowercase hex) of the stored bytes.
	CurrentChecksum string `json:"currentChecksum"`
	// ModificationTime is time.Time.String() of the file's UTC mtime when the
	// checksum was taken; a different mtime means the file may have changed.
	ModificationTime string `json:"modificationTime"`

	// BackingImage is the backing image's name.
	BackingImage string `json:"backingImage"`
	// Format is raw or qcow2, read from the file's header.
	Format imagefmt.Format `json:"format"`
}

// ID is the copy this cfg describes.
func (c Config) ID() CopyID { return CopyID{Name: c.BackingImage, UUID: c.UUID} }

func readConfig(dir string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(filepath.Join(dir, ConfigName))
	if err != nil {
		return cfg, fmt.Errorf("read copy config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("parse %s: %w", filepath.Join(dir, ConfigName), err)
	}
	return cfg, nil
}

func writeConfig(dir string, cfg Config) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode copy config: %w", err)
	}
	return writeFileDurable(filepath.Join(dir, ConfigName), data)
}

// fileFacts are what stat tells about a backing file.
type fileFacts struct {
	size     int64
	realSize int64
	mtime    string
}

func statFacts(fi os.FileInfo) fileFacts {
	facts := fileFacts{size: fi.Size(), mtime: fi.ModTime().UTC().String()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		facts.realSize = st.Blocks * 512
	}
	return facts
}
