package v1

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Manifest returns the ready copy's block manifest from its
// backing.manifest. A copy made before manifests existed (no file, or one
// that cannot be read or does not match backing.cfg) gets one built once:
// a full read checked against the cfg's checksum (a mismatch is a
// *engine.DamagedError with Whole set), stored durably so later calls read
// it back. An error matching fs.ErrNotExist means the copy is not there.
func (d *Disk) Manifest(ctx context.Context, id CopyID) (*engine.Manifest, error) {
	m, _, err := d.manifest(ctx, id)
	return m, err
}

// manifest is Manifest, also telling whether it was built (which read and
// checked the whole copy) rather than read back.
func (d *Disk) manifest(ctx context.Context, id CopyID) (*engine.Manifest, bool, error) {
	cfg, err := d.Config(id)
	if err != nil {
		return nil, false, err
	}
	if m, err := d.readManifest(id, cfg); err == nil {
		return m, false, nil
	}
	unlock := d.lockCopy(id)
	defer unlock()
	if m, err := d.readManifest(id, cfg); err == nil {
		return m, false, nil // another caller built it meanwhile
	}
	m, err := d.buildManifest(ctx, id, cfg)
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// readManifest reads backing.manifest and checks that it describes the
// content the cfg records.
func (d *Disk) readManifest(id CopyID, cfg Config) (*engine.Manifest, error) {
	data, err := os.ReadFile(d.ManifestPath(id))
	if err != nil {
		return nil, err
	}
	var m engine.Manifest
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if m.Size != cfg.Size || (cfg.CurrentChecksum != "" && m.Checksum != cfg.CurrentChecksum) {
		return nil, fmt.Errorf("%w: it describes %d bytes with checksum %s, backing.cfg %d bytes with %s",
			engine.ErrBadManifest, m.Size, m.Checksum, cfg.Size, cfg.CurrentChecksum)
	}
	return &m, nil
}

func (d *Disk) buildManifest(ctx context.Context, id CopyID, cfg Config) (*engine.Manifest, error) {
	r, err := d.openReader(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() != cfg.Size {
		return nil, &engine.DamagedError{ID: id, Disk: d.path, Whole: true}
	}
	m, err := engine.Build(ctx, r, cfg.CurrentChecksum, nil)
	if errors.Is(err, engine.ErrChecksumMismatch) {
		return nil, &engine.DamagedError{ID: id, Disk: d.path, Whole: true}
	}
	if err != nil {
		return nil, fmt.Errorf("build the manifest of copy %s on disk %s: %w", id, d.path, err)
	}
	data, err := m.MarshalBinary()
	if err == nil {
		err = writeFileDurable(d.ManifestPath(id), data)
	}
	if err != nil {
		return nil, fmt.Errorf("store the manifest of copy %s on disk %s: %w", id, d.path, err)
	}
	return m, nil
}

// Verify re-reads the ready copy and checks every block against its
// manifest at opts.BytesPerSecond (zero blocks must read as zeros). A
// damaged copy fails with a *engine.DamagedError naming every bad block
// (or Whole, for a copy whose manifest had to be built and whose content
// no longer hashes to its cfg's checksum). An intact copy's cfg gets the
// file's current mtime and allocated size, so ListCopies stops reporting
// it Changed.
func (d *Disk) Verify(ctx context.Context, id CopyID, opts engine.VerifyOptions) (engine.Record, error) {
	m, built, err := d.manifest(ctx, id)
	if err != nil {
		return engine.Record{}, err
	}
	if !built { // building read and checked the whole copy already
		if err := d.check(ctx, id, m, opts); err != nil {
			return engine.Record{}, err
		}
	}
	unlock := d.lockCopy(id)
	defer unlock()
	cfg, err := d.refreshConfig(id)
	if err != nil {
		return engine.Record{}, fmt.Errorf("verify copy %s on disk %s: %w", id, d.path, err)
	}
	return cfg.record(), nil
}

func (d *Disk) check(ctx context.Context, id CopyID, m *engine.Manifest, opts engine.VerifyOptions) error {
	r, err := d.openReader(id)
	if err != nil {
		return err
	}
	defer r.Close()
	if r.Size() != m.Size {
		return &engine.DamagedError{ID: id, Disk: d.path, Whole: true}
	}
	bad, err := engine.Check(ctx, r, m, opts)
	if err != nil {
		return fmt.Errorf("verify copy %s on disk %s: %w", id, d.path, err)
	}
	if len(bad) > 0 {
		return &engine.DamagedError{ID: id, Disk: d.path, Offsets: bad}
	}
	return nil
}

// refreshConfig records the backing file's current mtime and allocated
// size in its cfg (after a verify or a repair proved the content).
func (d *Disk) refreshConfig(id CopyID) (Config, error) {
	cfg, err := d.Config(id)
	if err != nil {
		return Config{}, err
	}
	fi, err := os.Stat(d.BackingPath(id))
	if err != nil {
		return Config{}, err
	}
	facts := statFacts(fi)
	if facts.mtime != cfg.ModificationTime || facts.realSize != cfg.RealSize {
		cfg.ModificationTime, cfg.RealSize = facts.mtime, facts.realSize
		if err := writeConfig(d.CopyDir(id), cfg); err != nil {
			return Config{}, err
		}
	}
	return cfg, nil
}
