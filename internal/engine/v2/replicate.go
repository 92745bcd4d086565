package v2

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// filePather is offered by readers of file-backed copies (data engine
// v1's): the path of the copy's file, which qemu-img can convert.
type filePather interface{ FilePath() string }

// Replicate makes copy id from src, a reader of a ready copy of the same
// image (a v2 copy on another disk, or a v1 copy) whose manifest is
// srcManifest. Raw content is copied block by block, only the manifest's
// data blocks, each checked against its ID before it is written; the new
// copy's manifest is srcManifest and nothing is hashed as a whole. A qcow2
// source (a v1 copy; its reader must offer FilePath) is checked against
// srcManifest, judged under limits and converted with qemu-img, and the
// raw content is hashed as it is imported. A source block that does not
// match fails with a *engine.DamagedError naming the source's offsets.
// Debris of an earlier attempt is cleared first; on error nothing is
// left. progress, if set, gets the bytes processed so far.
func (d *Disk) Replicate(ctx context.Context, id CopyID, src engine.CopyReader, srcManifest *engine.Manifest,
	limits imagefmt.Limits, progress func(done int64)) (engine.Record, error) {
	if srcManifest == nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s: no manifest of the source given", id)
	}
	if err := srcManifest.Validate(); err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s: the source's manifest: %w", id, err)
	}
	if src.Size() != srcManifest.Size {
		return engine.Record{}, fmt.Errorf("replicate copy %s: the source is %d bytes, its manifest %d", id, src.Size(), srcManifest.Size)
	}
	if err := d.clearDebris(id); err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s: %w", id, err)
	}
	name, err := d.claim(id)
	if err != nil {
		return engine.Record{}, err
	}
	defer d.release(name)
	info, err := imagefmt.Check(src, src.Size(), limits)
	if err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: %w", id, d.Path(), err)
	}
	meta := copyMeta{id: id, expectedChecksum: srcManifest.Checksum, sourceFormat: imagefmt.Raw}
	if vr, ok := src.(*VolumeReader); ok { // keep what the first copy received
		a := vr.vol.Attrs()
		meta.expectedChecksum, meta.sourceFormat = a[attrExpectedChecksum], imagefmt.Format(a[attrSourceFormat])
	}
	var cfg Config
	if info.Format == imagefmt.Qcow2 {
		cfg, err = d.replicateQcow2(ctx, name, src, srcManifest, meta, info.VirtualSize, progress)
	} else {
		cfg, err = d.replicateRaw(ctx, name, src, srcManifest, meta, progress)
	}
	if err != nil {
		return engine.Record{}, err
	}
	return recordOf(cfg), nil
}

// replicateRaw copies src's data blocks into a new volume, checking each
// against m, and finalizes the copy with m as its manifest.
func (d *Disk) replicateRaw(ctx context.Context, name string, src engine.CopyReader, m *engine.Manifest, meta copyMeta,
	progress func(int64)) (Config, error) {
	vol, err := d.store.Create(name, m.Size, meta.attrs(StateInProgress, ""))
	if err != nil {
		return Config{}, fmt.Errorf("replicate copy %s on disk %s: %w", meta.id, d.Path(), err)
	}
	bad, err := copyBlocks(ctx, src, vol, m, progress)
	if err == nil && len(bad) > 0 {
		err = &engine.DamagedError{ID: meta.id, Disk: sourceDisk(src), Offsets: bad}
	}
	var cfg Config
	if err == nil {
		cfg, err = d.finalize(name, meta, m)
	}
	if err != nil {
		return Config{}, errors.Join(err, d.discard(name))
	}
	return cfg, nil
}

// copyBlocks checks src against m (engine.CopyVerified, one reader per
// CPU) and writes the matching data blocks into vol; zero blocks stay
// holes. It returns the offsets of the blocks that did not match, sorted.
func copyBlocks(ctx context.Context, src engine.Source, vol *volstore.Volume, m *engine.Manifest,
	progress func(int64)) ([]int64, error) {
	return engine.CopyVerified(ctx, src, m, func(off int64, data []byte) error {
		_, err := vol.WriteAt(data, off)
		return err
	}, progress)
}

// replicateQcow2 checks the qcow2 file behind src against m (naming damaged
// blocks), converts it and imports the raw content, hashing it.
func (d *Disk) replicateQcow2(ctx context.Context, name string, src engine.CopyReader, m *engine.Manifest, meta copyMeta,
	virtualSize int64, progress func(int64)) (Config, error) {
	fp, ok := src.(filePather)
	if !ok {
		return Config{}, fmt.Errorf("replicate copy %s: the source is a qcow2 image that is not a file qemu-img "+
			"can convert (its reader has no FilePath)", meta.id)
	}
	bad, err := engine.Check(ctx, src, m, engine.VerifyOptions{})
	if err != nil {
		return Config{}, fmt.Errorf("replicate copy %s: check the source: %w", meta.id, err)
	}
	if len(bad) > 0 {
		return Config{}, &engine.DamagedError{ID: meta.id, Disk: sourceDisk(src), Offsets: bad}
	}
	return d.importQcow2(ctx, name, fp.FilePath(), virtualSize, meta, progress)
}

// sourceDisk names where a source copy is, for a DamagedError.
func sourceDisk(src engine.CopyReader) string {
	switch s := src.(type) {
	case *VolumeReader:
		return s.DiskPath()
	case filePather:
		return s.FilePath()
	}
	return "(the source disk)"
}
