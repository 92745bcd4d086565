package v2

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// CopyInfo is one copy volume found on a disk.
type CopyInfo struct {
	// ID is the copy's identity, from the volume's attributes.
	ID CopyID
	// Volume is the volume's name.
	Volume string
	// Config is what the volume records about the copy.
	Config Config
	// Busy is true while a writer in this process fills the volume.
	Busy bool
	// Problem, when not empty, says why the volume is not a usable copy
	// (not ready, or attributes that do not name it); remove it with
	// RemoveVolume.
	Problem string
}

// ListCopies returns every copy volume on the disk (manifest volumes are
// internal and not listed), sorted by volume name, with what is known of
// each. It is how state is rebuilt at start-up; call Cleanup first so no
// volume of interrupted work is listed.
func (d *Disk) ListCopies() []CopyInfo {
	vols := d.store.List()
	out := make([]CopyInfo, 0, len(vols))
	for _, v := range vols {
		if isManifestVolume(v.Name()) {
			continue
		}
		cfg := configOf(d.UUID(), v)
		info := CopyInfo{ID: cfg.ID(), Volume: v.Name(), Config: cfg, Busy: d.isBusy(v.Name())}
		switch {
		case cfg.ID().Validate() != nil || cfg.ID().String() != v.Name():
			info.Problem = fmt.Sprintf("the volume's attributes name copy %q, but the volume is %q", cfg.ID(), v.Name())
		case cfg.State != StateReady:
			info.Problem = fmt.Sprintf("the copy is not ready (state %q)", cfg.State)
		case !v.ReadOnly() || cfg.CurrentChecksum == "":
			info.Problem = "the copy is marked ready but is writable or has no checksum"
		}
		out = append(out, info)
	}
	return out
}

// Open returns a reader of the ready copy id (a *VolumeReader). A copy that
// is not there fails with an error matching fs.ErrNotExist (and
// volstore.ErrNotFound); one being written with ErrBusy.
func (d *Disk) Open(id CopyID) (engine.CopyReader, error) {
	r, _, err := d.openCopy(id)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Config returns what the ready copy id records about itself.
func (d *Disk) Config(id CopyID) (Config, error) {
	r, cfg, err := d.openCopy(id)
	if err != nil {
		return Config{}, err
	}
	r.Close()
	return cfg, nil
}

// openCopy returns a reader of the ready copy id and its config.
func (d *Disk) openCopy(id CopyID) (*VolumeReader, Config, error) {
	name, err := volumeName(id)
	if err != nil {
		return nil, Config{}, err
	}
	v, err := d.store.Get(name)
	if errors.Is(err, volstore.ErrNotFound) {
		return nil, Config{}, fmt.Errorf("open copy %s on disk %s: %w (%w)", id, d.Path(), volstore.ErrNotFound, fs.ErrNotExist)
	}
	if err != nil {
		return nil, Config{}, fmt.Errorf("open copy %s on disk %s: %w", id, d.Path(), err)
	}
	cfg := configOf(d.UUID(), v)
	if cfg.State != StateReady {
		return nil, Config{}, fmt.Errorf("open copy %s on disk %s: it is not ready (state %q): %w", id, d.Path(), cfg.State, ErrBusy)
	}
	return newVolumeReader(v, d.Path()), cfg, nil
}

// Present returns nil when the ready copy id is on the disk, and an error
// matching fs.ErrNotExist when none is (ErrBusy while it is written).
func (d *Disk) Present(id CopyID) error {
	_, err := d.Config(id)
	return err
}

// Record describes the ready copy id from its attributes, reading none of
// its content. Errors are Open's.
func (d *Disk) Record(id CopyID) (engine.Record, error) {
	cfg, err := d.Config(id)
	if err != nil {
		return engine.Record{}, err
	}
	return recordOf(cfg), nil
}

func recordOf(cfg Config) engine.Record {
	return engine.Record{ID: cfg.ID(), Checksum: cfg.CurrentChecksum, Size: cfg.Size, VirtualSize: cfg.VirtualSize, Format: cfg.Format}
}

// Remove deletes the copy id, ready or partial, and its manifest, and frees
// their clusters. Removing a copy that is not there is not an error.
// Readers of the copy fail from then on.
func (d *Disk) Remove(id CopyID) error {
	name, err := volumeName(id)
	if err != nil {
		return err
	}
	if err := d.RemoveVolume(name); err != nil {
		return err
	}
	return d.removeManifest(name)
}

// RemoveVolume deletes one volume by name, for volumes ListCopies reported
// with a Problem. A volume that is not there is not an error.
func (d *Disk) RemoveVolume(name string) error {
	if err := d.store.Delete(name); err != nil && !errors.Is(err, volstore.ErrNotFound) {
		return fmt.Errorf("remove copy volume %s on disk %s: %w", name, d.Path(), err)
	}
	return nil
}

// Cleanup deletes what interrupted work left and no writer in this process
// owns: every copy volume that is not ready, every manifest volume whose
// copy is not ready (or unfinished), and this disk's staged files in the
// staging directory. Their clusters are freed. Call it at start-up, before
// writers run. It returns what it removed: volume names, and staged files'
// paths.
func (d *Disk) Cleanup() ([]string, error) {
	removed, err := d.cleanupVolumes()
	if err != nil {
		return removed, err
	}
	files, err := d.cleanupStaged()
	return append(removed, files...), err
}

func (d *Disk) cleanupVolumes() ([]string, error) {
	var removed []string
	ready := map[string]bool{}
	for _, v := range d.store.List() {
		if !isManifestVolume(v.Name()) && v.Attrs()[volstore.AttrState] == StateReady {
			ready[v.Name()] = true
		}
	}
	for _, v := range d.store.List() {
		name, keep := v.Name(), false
		if isManifestVolume(name) {
			of := v.Attrs()[attrManifestOf]
			keep = (ready[of] && v.ReadOnly() && manifestVolume(of) == name) || d.isBusy(of)
		} else {
			keep = ready[name] || d.isBusy(name)
		}
		if keep {
			continue
		}
		if err := d.RemoveVolume(name); err != nil {
			return removed, fmt.Errorf("clean up disk %s: %w", d.Path(), err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}
