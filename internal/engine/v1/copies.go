package v1

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/plinth-storage/plinth/internal/engine"
)

// CopyInfo is one copy folder found on a disk.
type CopyInfo struct {
	// ID is the copy's identity, from its cfg, or parsed from the folder
	// name when the cfg cannot be read.
	ID CopyID
	// Folder is the folder's name under backing-images.
	Folder string
	// Config is the copy's backing.cfg (zero when Problem says it is unreadable).
	Config Config
	// RealSize is the backing file's allocated size now.
	RealSize int64
	// Changed is true when the backing file's size or mtime differs from
	// the cfg: it may have been modified, so Verify it before trusting it.
	Changed bool
	// Problem, when not empty, says why the folder is not a usable copy;
	// remove it with RemoveFolder, or Verify cannot help.
	Problem string
}

// ListCopies returns every copy folder on the disk, sorted by folder name,
// with what is known of each. It is how state is rebuilt at start-up; call
// Cleanup first so no half-written copy is listed.
func (d *Disk) ListCopies() ([]CopyInfo, error) {
	root := filepath.Join(d.path, ImagesDirName)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list copies on disk %s: %w", d.path, err)
	}
	var out []CopyInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		out = append(out, inspectCopy(filepath.Join(root, e.Name())))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Folder < out[j].Folder })
	return out, nil
}

func inspectCopy(dir string) CopyInfo {
	info := CopyInfo{Folder: filepath.Base(dir), ID: parseFolder(filepath.Base(dir))}
	fi, err := os.Stat(filepath.Join(dir, BackingName))
	if err != nil {
		info.Problem = fmt.Sprintf("no backing file: %v", err)
		return info
	}
	facts := statFacts(fi)
	info.RealSize = facts.realSize
	cfg, err := readConfig(dir)
	if err != nil {
		info.Problem = err.Error()
		return info
	}
	if cfg.ID().Validate() != nil || cfg.ID().String() != info.Folder {
		info.Problem = fmt.Sprintf("backing.cfg names copy %q, but the folder is %q", cfg.ID(), info.Folder)
		return info
	}
	info.ID, info.Config = cfg.ID(), cfg
	info.Changed = facts.size != cfg.Size || facts.mtime != cfg.ModificationTime
	return info
}

// parseFolder splits "<name>-<uuid>" when the UUID is a standard one; else
// the whole folder name is returned as the name.
func parseFolder(folder string) CopyID {
	const uuidLen = 36
	if len(folder) > uuidLen+1 && folder[len(folder)-uuidLen-1] == '-' {
		if _, err := uuid.Parse(folder[len(folder)-uuidLen:]); err == nil {
			return CopyID{Name: folder[:len(folder)-uuidLen-1], UUID: folder[len(folder)-uuidLen:]}
		}
	}
	return CopyID{Name: folder}
}

// Remove deletes a copy (its folder and everything in it). Removing a copy
// that is not there is not an error.
func (d *Disk) Remove(id CopyID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	return d.RemoveFolder(id.String())
}

// RemoveFolder deletes one folder under backing-images by name, for
// folders ListCopies reported with a Problem.
func (d *Disk) RemoveFolder(folder string) error {
	if folder == "" || folder == "." || folder == ".." || strings.ContainsRune(folder, os.PathSeparator) {
		return fmt.Errorf("remove copy folder %q: not a folder name", folder)
	}
	root := filepath.Join(d.path, ImagesDirName)
	if err := os.RemoveAll(filepath.Join(root, folder)); err != nil {
		return fmt.Errorf("remove copy %s on disk %s: %w", folder, d.path, err)
	}
	return syncDir(root)
}

// Cleanup removes what interrupted work left on the disk that no writer
// in this process owns: temp files in copy folders, and copy folders
// without a backing file (with their manifest and cfg). Call it at
// start-up, before any writer runs on the disk. It returns the paths it
// removed.
func (d *Disk) Cleanup() ([]string, error) {
	root := filepath.Join(d.path, ImagesDirName)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("clean up disk %s: %w", d.path, err)
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || d.isActive(e.Name()) {
			continue
		}
		gone, err := cleanupCopyDir(filepath.Join(root, e.Name()))
		removed = append(removed, gone...)
		if err != nil {
			return removed, fmt.Errorf("clean up disk %s: %w", d.path, err)
		}
	}
	if len(removed) > 0 {
		return removed, syncDir(root)
	}
	return removed, nil
}

// Present returns nil when the ready copy id is on the disk, and an error
// matching fs.ErrNotExist when it is not.
func (d *Disk) Present(id CopyID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(d.BackingPath(id)); err != nil {
		return fmt.Errorf("copy %s on disk %s: %w", id, d.path, err)
	}
	return nil
}

// Config returns the ready copy's backing.cfg; an error matching
// fs.ErrNotExist when the copy is not on the disk.
func (d *Disk) Config(id CopyID) (Config, error) {
	if err := d.Present(id); err != nil {
		return Config{}, err
	}
	cfg, err := readConfig(d.CopyDir(id))
	if err != nil {
		return Config{}, fmt.Errorf("copy %s on disk %s: %w", id, d.path, err)
	}
	return cfg, nil
}

// Record describes the ready copy from its backing.cfg, reading none of
// its content; an error matching fs.ErrNotExist when it is not there.
func (d *Disk) Record(id CopyID) (engine.Record, error) {
	cfg, err := d.Config(id)
	if err != nil {
		return engine.Record{}, err
	}
	return cfg.record(), nil
}

func cleanupCopyDir(dir string) ([]string, error) {
	temps, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, t := range temps {
		if err := os.Remove(t); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, t)
	}
	if _, err := os.Stat(filepath.Join(dir, BackingName)); errors.Is(err, fs.ErrNotExist) {
		if err := os.RemoveAll(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	return removed, nil
}
