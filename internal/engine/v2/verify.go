package v2

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/engine"
)

// Verify re-reads the ready copy id and checks every block against its
// manifest (building the manifest first for a copy that has none, which
// checks the whole content against the recorded checksum); zero blocks
// must read as zeros. A damaged copy fails with a *engine.DamagedError
// naming every bad block (or Whole, for a copy without a manifest whose
// content no longer hashes to its checksum). opts bound the read rate and
// report progress.
func (d *Disk) Verify(ctx context.Context, id CopyID, opts engine.VerifyOptions) (engine.Record, error) {
	r, cfg, err := d.openCopy(id)
	if err != nil {
		return engine.Record{}, err
	}
	defer r.Close()
	m, err := d.Manifest(ctx, id)
	if err != nil {
		return engine.Record{}, err
	}
	bad, err := engine.Check(ctx, r, m, opts)
	if err != nil {
		return engine.Record{}, fmt.Errorf("verify copy %s on disk %s: %w", id, d.Path(), err)
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Disk: d.Path(), Offsets: bad}
	}
	return recordOf(cfg), nil
}

// Repair rewrites the block at offset (a multiple of engine.BlockSize) of
// the ready copy id with data, the whole block, which must hash to the
// manifest's ID for it, or be all zeros for a zero block (else
// ErrChecksumMismatch and nothing is written). The new bytes go to new
// clusters (the volume's old ones are never written in place) and are
// durable when it returns. A zero block that is a hole needs no write.
func (d *Disk) Repair(ctx context.Context, id CopyID, offset int64, data []byte) error {
	m, err := d.Manifest(ctx, id)
	if err != nil {
		return err
	}
	if offset < 0 || offset%engine.BlockSize != 0 || offset >= m.Size {
		return fmt.Errorf("repair copy %s on disk %s: offset %d is not the start of one of its blocks", id, d.Path(), offset)
	}
	i := int(offset / engine.BlockSize)
	if want := engine.BlockLen(i, m.Size); len(data) != want {
		return fmt.Errorf("repair copy %s on disk %s: block %d is %d bytes, %d given", id, d.Path(), i, want, len(data))
	}
	if want := m.Blocks[i]; (want.IsZero() && !engine.AllZero(data)) || (!want.IsZero() && engine.SumOf(data) != want) {
		return fmt.Errorf("repair copy %s on disk %s: the bytes given for block %d (offset %d) do not match its "+
			"manifest: %w", id, d.Path(), i, offset, ErrChecksumMismatch)
	}
	if err := d.store.Rewrite(id.String(), data, offset); err != nil {
		return fmt.Errorf("repair copy %s on disk %s at offset %d: %w", id, d.Path(), offset, err)
	}
	return nil
}
