package v1

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// Replicate makes copy id on this disk from src, a reader of a ready copy
// of the same image (on any disk, of either engine) whose manifest is
// srcManifest. It reads only blocks that hold data in src (or that the
// manifest says hold data), verifies each against srcManifest (a zero
// block must read as zeros, a data block must hash to its ID) and writes
// it sparsely; holes stay holes. Blocks are read and hashed on one
// goroutine per CPU, and the whole image is never re-hashed: the new
// copy's checksum and manifest are srcManifest's. A mismatch fails with a
// *engine.DamagedError naming the source's blocks; on any error nothing
// is left. The format comes from the image's header, and imagefmt.Check
// judges the result against limits. progress, if set, gets the bytes
// processed so far (holes included).
func (d *Disk) Replicate(ctx context.Context, id CopyID, src engine.CopyReader, srcManifest *engine.Manifest,
	limits imagefmt.Limits, progress func(done int64)) (engine.Record, error) {
	m := srcManifest
	if m == nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: no manifest for the source", id, d.path)
	}
	if err := m.Validate(); err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: the source's %w", id, d.path, err)
	}
	if src.Size() != m.Size {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: the source is %d bytes, its manifest says %d",
			id, d.path, src.Size(), m.Size)
	}
	s, err := d.stage(id)
	if err != nil {
		return engine.Record{}, err
	}
	defer s.drop()
	if err := s.f.Truncate(m.Size); err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: size the copy: %w", id, d.path, err)
	}
	bad, err := copyBlocks(ctx, src, m, s.f, progress)
	if err != nil {
		return engine.Record{}, fmt.Errorf("replicate copy %s to disk %s: %w", id, d.path, err)
	}
	if len(bad) > 0 {
		return engine.Record{}, &engine.DamagedError{ID: id, Disk: sourceDisk(src), Offsets: bad}
	}
	own := &engine.Manifest{Size: m.Size, Checksum: m.Checksum, Blocks: slices.Clone(m.Blocks)}
	cfg, err := s.publish(m.Size, limits, m.Checksum, m.Checksum, own)
	if err != nil {
		return engine.Record{}, err
	}
	return cfg.record(), nil
}

// copyBlocks copies src's blocks to dst (sized, all hole), verifying each
// against m (engine.CopyVerified: one reader per CPU; a source hole where m
// has data reads as zeros and is found). It returns the offsets of the
// blocks that do not match m, sorted (none is written).
func copyBlocks(ctx context.Context, src engine.Source, m *engine.Manifest, dst *os.File, progress func(int64)) ([]int64, error) {
	var mu sync.Mutex // progress is reported in order
	report := func(n int64) {
		if progress != nil {
			mu.Lock()
			progress(n)
			mu.Unlock()
		}
	}
	bad, err := engine.CopyVerified(ctx, src, m, func(off int64, data []byte) error {
		return writeSparse(dst, data, off)
	}, report)
	if err != nil {
		return nil, err
	}
	return bad, nil
}
