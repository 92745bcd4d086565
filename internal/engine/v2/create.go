package v2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// fillCopy makes the claimed volume name a ready copy holding src's
// content: it creates the volume (state in-progress), copies src into it
// sparse-aware and finalizes. When known is nil the copy is hashed as it
// is written (whole SHA-512 and block manifest) and the hash is compared
// with want (skipped when empty); when known is the content's manifest
// (the bytes were hashed on their way in), nothing is hashed again. On any
// error the volume is deleted, so nothing is left behind and no cluster
// stays allocated.
func (d *Disk) fillCopy(ctx context.Context, name string, src engine.Source, meta copyMeta, want string,
	known *engine.Manifest, progress func(int64)) (Config, error) {
	size := src.Size()
	if size <= 0 {
		return Config{}, fmt.Errorf("copy %s: the image is empty (0 bytes); a v2 copy needs content", meta.id)
	}
	if known != nil && known.Size != size {
		return Config{}, fmt.Errorf("copy %s: the source is %d bytes, its manifest %d", meta.id, size, known.Size)
	}
	vol, err := d.store.Create(name, size, meta.attrs(StateInProgress, ""))
	if err != nil {
		return Config{}, fmt.Errorf("copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	cfg, err := d.fillVolume(ctx, vol, src, meta, want, known, progress)
	if err != nil {
		return Config{}, errors.Join(err, d.discard(name))
	}
	return cfg, nil
}

func (d *Disk) fillVolume(ctx context.Context, vol *volstore.Volume, src engine.Source, meta copyMeta, want string,
	known *engine.Manifest, progress func(int64)) (Config, error) {
	m, err := fill(ctx, src, vol, d.store.ClusterSize(), known == nil, progress)
	if err != nil {
		return Config{}, fmt.Errorf("copy %s to disk %s: %w", meta.id, d.Path(), err)
	}
	if known != nil {
		m = known
	}
	if want != "" && m.Checksum != want {
		return Config{}, fmt.Errorf("copy %s: %w: expected %s, the content hashes to %s (the source's bytes differ; "+
			"check the expected checksum or the source)", meta.id, ErrChecksumMismatch, want, m.Checksum)
	}
	return d.finalize(vol.Name(), meta, m)
}

// finalize makes a filled volume a ready copy whose manifest is m: the
// manifest is recorded durably first, then the volume is made read-only
// (which commits its data), then the ready state with m's checksum is
// recorded. A crash before the last step leaves a volume that is not
// ready, which Cleanup removes with its manifest. On error the manifest is
// removed; the caller discards the volume.
func (d *Disk) finalize(name string, meta copyMeta, m *engine.Manifest) (Config, error) {
	if err := d.storeManifest(name, m); err != nil {
		return Config{}, fmt.Errorf("finish copy %s: %w", meta.id, err)
	}
	err := d.store.SetReadOnly(name, true)
	if err == nil {
		err = d.store.SetAttrs(name, meta.attrs(StateReady, m.Checksum))
	}
	var vol *volstore.Volume
	if err == nil {
		vol, err = d.store.Get(name)
	}
	if err != nil {
		return Config{}, errors.Join(fmt.Errorf("finish copy %s on disk %s: %w", meta.id, d.Path(), err), d.removeManifest(name))
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
