package v2

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Restore makes copy id from a backup. A raw image is restored straight
// into the volume (holes stay unallocated); its manifest is the one the
// restore proved (Restored.Manifest, stored as is, nothing re-hashed) or,
// when the restore gave none, built by one read of the volume and checked
// against Restored.Checksum. A qcow2 image (BackupReader.Format says so,
// or the content written turns out to be one) is restored into a staged
// file instead, judged under limits, converted to raw and imported; the
// import hashes the raw content. Debris of an earlier attempt is cleared
// first; on error nothing is left. A backup whose first bytes show an
// image plinth refuses fails (imagefmt.ErrRefused) before anything is
// written.
func (d *Disk) Restore(ctx context.Context, id CopyID, from engine.BackupReader, limits imagefmt.Limits,
	progress func(done, total int64)) (engine.Record, error) {
	if err := d.clearDebris(id); err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	format, err := from.Format(ctx)
	if errors.Is(err, imagefmt.ErrRefused) {
		return engine.Record{}, fmt.Errorf("restore copy %s: %w", id, err)
	}
	if err == nil && format == imagefmt.Qcow2 {
		return d.restoreStaged(ctx, id, from, limits, progress)
	}
	w, err := d.CreateRandom(id)
	if err != nil {
		return engine.Record{}, err
	}
	w.SetLimits(limits)
	res, err := from.Restore(ctx, w, progress)
	if err != nil {
		return engine.Record{}, errors.Join(fmt.Errorf("restore copy %s: %w", id, err), w.Abort())
	}
	cfg, err := w.Commit(ctx, res.Checksum, res.Manifest)
	if errors.Is(err, ErrQcow2Content) {
		return d.restoreStaged(ctx, id, from, limits, progress)
	}
	if err != nil {
		return engine.Record{}, err
	}
	return recordOf(cfg), nil
}

// restoreStaged restores a qcow2 backup into a staged file and imports it:
// the file is judged under limits, converted to raw and copied, hashing
// the raw content. The copy's expected checksum is the backup's (the qcow2
// file's).
func (d *Disk) restoreStaged(ctx context.Context, id CopyID, from engine.BackupReader, limits imagefmt.Limits,
	progress func(done, total int64)) (engine.Record, error) {
	name, err := d.claim(id)
	if err != nil {
		return engine.Record{}, err
	}
	defer d.release(name)
	path := d.stagePath(name, stagedSuffix)
	defer os.Remove(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s: stage it: %w", id, err)
	}
	res, err := from.Restore(ctx, &fileSink{f: f}, progress)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s into staged file %s: %w", id, path, err)
	}
	meta := copyMeta{id: id, expectedChecksum: normalizeChecksum(res.Checksum)}
	cfg, err := d.importFile(ctx, name, path, meta, "", nil, limits, nil)
	if err != nil {
		return engine.Record{}, err
	}
	return recordOf(cfg), nil
}
