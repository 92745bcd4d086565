package v1

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Restore makes copy id from a backup: from writes the image into the
// copy's temp file by positioned writes, verifying every block, and
// reports the image's checksum and, usually, its manifest. A given
// manifest is checked against what was written (its size and checksum)
// and stored as is, with no re-hash; without one the engine builds it from
// the temp file (one full read, checked against the restore's checksum).
// Debris of an earlier attempt is cleared first; on error nothing is left.
// The image is judged with imagefmt.Check against limits.
func (d *Disk) Restore(ctx context.Context, id CopyID, from engine.BackupReader, limits imagefmt.Limits,
	progress func(done, total int64)) (engine.Record, error) {
	s, err := d.stage(id)
	if err != nil {
		return engine.Record{}, err
	}
	defer s.drop()
	sink := &restoreSink{s: s}
	res, err := from.Restore(ctx, sink, progress)
	if err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s on disk %s: %w", id, d.path, err)
	}
	if err := ctx.Err(); err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s on disk %s: %w", id, d.path, err)
	}
	m, err := restoredManifest(ctx, sink, res)
	if err != nil {
		return engine.Record{}, fmt.Errorf("restore copy %s on disk %s: %w", id, d.path, err)
	}
	cfg, err := s.publish(sink.size, limits, m.Checksum, m.Checksum, m)
	if err != nil {
		return engine.Record{}, err
	}
	return cfg.record(), nil
}

// restoredManifest is the restore's manifest, checked against what was
// written, or one built from the written file.
func restoredManifest(ctx context.Context, sink *restoreSink, res engine.Restored) (*engine.Manifest, error) {
	if m := res.Manifest; m != nil {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("the restore's %w", err)
		}
		if m.Size != sink.size || (res.Checksum != "" && m.Checksum != res.Checksum) {
			return nil, fmt.Errorf("the restore's manifest (%d bytes, checksum %s) does not describe what it wrote (%d bytes, checksum %s)",
				m.Size, m.Checksum, sink.size, res.Checksum)
		}
		return m, nil
	}
	src := &fileSource{f: sink.s.f, size: sink.size, seekFile: sink.s.f}
	m, err := engine.Build(ctx, src, res.Checksum, nil)
	if errors.Is(err, engine.ErrChecksumMismatch) {
		return nil, fmt.Errorf("the restored image does not hash to the checksum the restore reported: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("build the copy's manifest: %w", err)
	}
	return m, nil
}

// restoreSink is the engine.Sink a restore writes into: the copy's temp
// file.
type restoreSink struct {
	s    *staged
	size int64
}

var _ engine.Sink = (*restoreSink)(nil)

// Prepare sizes the copy: afterwards it is size bytes of zeros (a hole).
func (k *restoreSink) Prepare(size int64) error {
	if err := k.s.f.Truncate(0); err != nil {
		return fmt.Errorf("size copy %s: %w", k.s.id, err)
	}
	if err := k.s.f.Truncate(size); err != nil {
		return fmt.Errorf("size copy %s to %d bytes: %w", k.s.id, size, err)
	}
	k.size = size
	return nil
}

// WriteAt writes p at off; safe for concurrent use.
func (k *restoreSink) WriteAt(p []byte, off int64) (int, error) { return k.s.f.WriteAt(p, off) }

// Sync makes the written data durable.
func (k *restoreSink) Sync() error {
	if err := k.s.f.Sync(); err != nil {
		return fmt.Errorf("fsync copy %s: %w", k.s.id, err)
	}
	return nil
}
