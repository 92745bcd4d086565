package v2

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Staged files live in the staging directory shared by every v2 disk of a
// daemon, named "<disk UUID>-<copy volume>" (or "<disk UUID>-<hash of the
// copy volume name>" when that would be too long a file name) with one of
// these suffixes, so two disks or two copies never collide and Cleanup
// finds its own disk's files by prefix.
const (
	// stagedSuffix ends a staged source (a download, an upload, a qcow2
	// restore) as received.
	stagedSuffix = ".tmp"
	// convertedSuffix ends the raw output of converting a staged qcow2.
	convertedSuffix = ".raw.tmp"
)

// stagePath is the staged file of the copy volume name with suffix.
func (d *Disk) stagePath(name, suffix string) string {
	base := d.UUID() + "-" + name
	if len(base)+len(convertedSuffix) > 250 {
		sum := sha256.Sum256([]byte(name))
		base = d.UUID() + "-" + hex.EncodeToString(sum[:16])
	}
	return filepath.Join(d.stageDir, base+suffix)
}

// removeStaged removes the staged files of the copy volume name; missing
// ones are fine.
func (d *Disk) removeStaged(name string) error {
	var errs []error
	for _, suffix := range []string{stagedSuffix, convertedSuffix} {
		if err := os.Remove(d.stagePath(name, suffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove staged file: %w", err))
		}
	}
	return errors.Join(errs...)
}

// cleanupStaged removes this disk's staged files that no writer in this
// process owns, and returns their paths.
func (d *Disk) cleanupStaged() ([]string, error) {
	entries, err := os.ReadDir(d.stageDir)
	if err != nil {
		return nil, fmt.Errorf("clean up the staging directory %s: %w", d.stageDir, err)
	}
	owned := map[string]bool{}
	d.mu.Lock()
	for name := range d.busy {
		owned[d.stagePath(name, stagedSuffix)] = true
		owned[d.stagePath(name, convertedSuffix)] = true
	}
	d.mu.Unlock()
	var removed []string
	for _, e := range entries {
		path := filepath.Join(d.stageDir, e.Name())
		if !strings.HasPrefix(e.Name(), d.UUID()+"-") || !strings.HasSuffix(e.Name(), stagedSuffix) || owned[path] {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("clean up staged file %s: %w", path, err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}
