package v2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// CopyInfo is one volume found on a disk.
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

// ListCopies returns every volume on the disk, sorted by volume name, with
// what is known of each. It is how state is rebuilt at start-up; call
// CleanupIncomplete first so no volume of interrupted work is listed.
func (d *Disk) ListCopies() []CopyInfo {
	vols := d.store.List()
	out := make([]CopyInfo, 0, len(vols))
	for _, v := range vols {
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

// Open returns a reader of the ready copy id and its config.
func (d *Disk) Open(id CopyID) (*VolumeReader, Config, error) {
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
	return newVolumeReader(v), cfg, nil
}

// Remove deletes the copy id and frees its clusters. Removing a copy that
// is not there is not an error. Readers of the copy fail from then on.
func (d *Disk) Remove(id CopyID) error {
	name, err := volumeName(id)
	if err != nil {
		return err
	}
	return d.RemoveVolume(name)
}

// RemoveVolume deletes one volume by name, for volumes ListCopies reported
// with a Problem. A volume that is not there is not an error.
func (d *Disk) RemoveVolume(name string) error {
	if err := d.store.Delete(name); err != nil && !errors.Is(err, volstore.ErrNotFound) {
		return fmt.Errorf("remove copy volume %s on disk %s: %w", name, d.Path(), err)
	}
	return nil
}

// CleanupIncomplete deletes every volume that is not a ready copy and that
// no writer in this process owns: what a crash or a kill left mid-write.
// Their clusters are freed. Call it at start-up, before writers run. It
// returns the names of the volumes it removed.
func (d *Disk) CleanupIncomplete() ([]string, error) {
	var removed []string
	for _, v := range d.store.List() {
		if v.Attrs()[volstore.AttrState] == StateReady || d.isBusy(v.Name()) {
			continue
		}
		if err := d.RemoveVolume(v.Name()); err != nil {
			return removed, fmt.Errorf("clean up disk %s: %w", d.Path(), err)
		}
		removed = append(removed, v.Name())
	}
	return removed, nil
}

// Verify re-reads the ready copy id and compares its SHA-512 with the
// checksum it recorded; a difference is ErrChecksumMismatch.
func (d *Disk) Verify(ctx context.Context, id CopyID) (Config, error) {
	r, cfg, err := d.Open(id)
	if err != nil {
		return Config{}, err
	}
	defer r.Close()
	sum, err := fill(ctx, r, nil, d.store.ClusterSize(), nil)
	if err != nil {
		return Config{}, fmt.Errorf("verify copy %s on disk %s: %w", id, d.Path(), err)
	}
	if sum != cfg.CurrentChecksum {
		return Config{}, fmt.Errorf("verify copy %s on disk %s: %w: the copy recorded %s, its content hashes to %s "+
			"(the disk returned other bytes than were written; remove the copy)", id, d.Path(), ErrChecksumMismatch,
			cfg.CurrentChecksum, sum)
	}
	return cfg, nil
}
