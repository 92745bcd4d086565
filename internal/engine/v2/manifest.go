package v2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// A copy's manifest lives in a small companion volume of its own (see
// doc.go): a volume attribute holds at most volstore.MaxAttrBytes (2 KiB),
// and a manifest is 32 bytes per 2 MiB block (about 16 KiB per GiB).
const (
	// manifestPrefix starts every manifest volume's name. Copy volume
	// names start with a letter or digit, so the two never collide.
	manifestPrefix = ".manifest-"
	// attrManifestOf names, on a manifest volume, the copy volume it
	// describes.
	attrManifestOf = "manifestOf"
)

// manifestVolume is the name of the manifest volume of the copy volume
// name: fixed-length (a hash of the name), so it fits whatever the copy's
// name length.
func manifestVolume(name string) string {
	sum := sha256.Sum256([]byte(name))
	return manifestPrefix + hex.EncodeToString(sum[:16])
}

// isManifestVolume reports whether a volume name is a manifest volume's.
func isManifestVolume(name string) bool { return strings.HasPrefix(name, manifestPrefix) }

// storeManifest records m as the manifest of the copy volume name durably
// (written, then made read-only, which commits) and replaces any earlier
// one. On error nothing of it is left.
func (d *Disk) storeManifest(name string, m *engine.Manifest) error {
	data, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode the manifest of %s: %w", name, err)
	}
	if err := d.removeManifest(name); err != nil {
		return err
	}
	mv := manifestVolume(name)
	v, err := d.store.Create(mv, int64(len(data)), map[string]string{attrManifestOf: name})
	if err != nil {
		return fmt.Errorf("record the manifest of %s on disk %s: %w", name, d.Path(), err)
	}
	if _, err = v.WriteAt(data, 0); err == nil {
		err = d.store.SetReadOnly(mv, true)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("record the manifest of %s on disk %s: %w", name, d.Path(), err), d.discard(mv))
	}
	return nil
}

// loadManifest reads the stored manifest of the copy volume name. It
// returns (nil, nil) when none is stored (a copy made before manifests,
// or one whose manifest write a crash interrupted), and an error wrapping
// engine.ErrBadManifest when the stored bytes do not decode or do not
// describe the copy (size, checksum).
func (d *Disk) loadManifest(name string, size int64, checksum string) (*engine.Manifest, error) {
	v, err := d.store.Get(manifestVolume(name))
	if errors.Is(err, volstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the manifest of %s: %w", name, err)
	}
	if !v.ReadOnly() || v.Attrs()[attrManifestOf] != name {
		return nil, nil // unfinished, or not this copy's: rebuilt
	}
	data := make([]byte, v.Size())
	if _, err := v.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read the manifest of %s on disk %s: %w", name, d.Path(), err)
	}
	var m engine.Manifest
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("manifest of %s on disk %s: %w", name, d.Path(), err)
	}
	if m.Size != size || m.Checksum != checksum {
		return nil, fmt.Errorf("manifest of %s on disk %s describes %d bytes hashing to %s, the copy is %d bytes "+
			"hashing to %s: %w", name, d.Path(), m.Size, m.Checksum, size, checksum, engine.ErrBadManifest)
	}
	return &m, nil
}

// removeManifest deletes the manifest volume of the copy volume name; a
// missing one is fine.
func (d *Disk) removeManifest(name string) error {
	if err := d.store.Delete(manifestVolume(name)); err != nil && !errors.Is(err, volstore.ErrNotFound) {
		return fmt.Errorf("remove the manifest of %s on disk %s: %w", name, d.Path(), err)
	}
	return nil
}

// Manifest returns the ready copy's block manifest. A copy without one (made
// before manifests existed, or whose stored manifest is unreadable) gets it
// built once: one read of the copy, hashed in parallel and checked against
// the copy's recorded checksum, then stored. A copy whose content no longer
// hashes to that checksum fails with a *engine.DamagedError (Whole). A copy
// that is not there fails with an error matching fs.ErrNotExist.
func (d *Disk) Manifest(ctx context.Context, id CopyID) (*engine.Manifest, error) {
	r, cfg, err := d.openCopy(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if m, err := d.loadManifest(cfg.Volume, cfg.Size, cfg.CurrentChecksum); m != nil || (err != nil && !errors.Is(err, engine.ErrBadManifest)) {
		return m, err
	}
	d.mfMu.Lock()
	defer d.mfMu.Unlock()
	m, err := d.loadManifest(cfg.Volume, cfg.Size, cfg.CurrentChecksum) // built meanwhile?
	if m != nil || (err != nil && !errors.Is(err, engine.ErrBadManifest)) {
		return m, err
	}
	m, err = engine.Build(ctx, r, cfg.CurrentChecksum, nil)
	if errors.Is(err, engine.ErrChecksumMismatch) {
		return nil, &engine.DamagedError{ID: id, Disk: d.Path(), Whole: true}
	}
	if err != nil {
		return nil, fmt.Errorf("build the manifest of copy %s on disk %s: %w", id, d.Path(), err)
	}
	if err := d.storeManifest(cfg.Volume, m); err != nil {
		return nil, err
	}
	return m, nil
}
