package v2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// fillCopy makes the claimed volume name a ready copy holding src's
// content: it creates the volume (state in-progress), copies src into it
// sparse-aware while hashing, compares the hash with want (skipped when
// empty) and finalizes. On any error the volume is deleted, so nothing is
// left behind and no cluster stays allocated.
func (d *Disk) fillCopy(ctx context.Context, name string, src backupstore.Source, meta copyMeta, want string,
	progress func(int64)) (Config, error) {
	size := src.Size()
	if size <= 0 {
		return Config{}, fmt.Errorf("copy %s: the image is empty (0 bytes); a v2 copy needs content", meta.id)
	}
	vol, err := d.store.Create(name, size, meta.attrs(StateInProgress, ""))
	if err != nil {
		return Config{}, fmt.Errorf("copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	cfg, err := d.fillVolume(ctx, vol, src, meta, want, progress)
	if err != nil {
		return Config{}, errors.Join(err, d.discard(name))
	}
	return cfg, nil
}

func (d *Disk) fillVolume(ctx context.Context, vol *volstore.Volume, src backupstore.Source, meta copyMeta, want string,
	progress func(int64)) (Config, error) {
	sum, err := fill(ctx, src, vol, d.store.ClusterSize(), progress)
	if err != nil {
		return Config{}, fmt.Errorf("copy %s to disk %s: %w", meta.id, d.Path(), err)
	}
	if want != "" && sum != want {
		return Config{}, fmt.Errorf("copy %s: %w: expected %s, the content hashes to %s (the source's bytes differ; "+
			"check the expected checksum or the source)", meta.id, ErrChecksumMismatch, want, sum)
	}
	return d.finalize(vol.Name(), meta, sum)
}

// finalize makes a filled volume a ready copy: read-only first (which
// commits its data), then the ready state with its checksum. A crash
// between the two leaves a volume that is not ready, which
// CleanupIncomplete removes.
func (d *Disk) finalize(name string, meta copyMeta, checksum string) (Config, error) {
	if err := d.store.SetReadOnly(name, true); err != nil {
		return Config{}, fmt.Errorf("finish copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	if err := d.store.SetAttrs(name, meta.attrs(StateReady, checksum)); err != nil {
		return Config{}, fmt.Errorf("finish copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	vol, err := d.store.Get(name)
	if err != nil {
		return Config{}, fmt.Errorf("finish copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	return configOf(d.UUID(), vol), nil
}

// discard deletes a volume a failed writer created; a volume already gone
// is fine.
func (d *Disk) discard(name string) error {
	if err := d.store.Delete(name); err != nil && !errors.Is(err, volstore.ErrNotFound) {
		return fmt.Errorf("remove the unfinished volume %s from disk %s: %w", name, d.Path(), err)
	}
	return nil
}

// normalizeChecksum lower-cases and trims a hex checksum.
func normalizeChecksum(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
