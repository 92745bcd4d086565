package v1

import (
	"context"
	"fmt"
	"os"
	"runtime"
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
// against m, on one goroutine per CPU. It returns the offsets of the
// blocks that do not match m, sorted (none is written).
func copyBlocks(ctx context.Context, src engine.Source, m *engine.Manifest, dst *os.File, progress func(int64)) ([]int64, error) {
	extents, err := src.DataExtents(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the source's data extents: %w", err)
	}
	read := blocksToRead(extents, m)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	var bad []int64
	var done int64
	report := func(n int) {
		mu.Lock()
		done += int64(n)
		if progress != nil {
			progress(done)
		}
		mu.Unlock()
	}
	idx := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := make([]byte, engine.BlockSize)
			for i := range idx {
				n := engine.BlockLen(i, m.Size)
				if read[i] {
					ok, err := copyBlock(src, m.Blocks[i], buf[:n], dst, int64(i)*engine.BlockSize)
					if err != nil {
						cancel(err)
						continue
					}
					if !ok {
						mu.Lock()
						bad = append(bad, int64(i)*engine.BlockSize)
						mu.Unlock()
					}
				}
				report(n)
			}
		})
	}
	for i := range len(m.Blocks) {
		select {
		case idx <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(idx)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	slices.Sort(bad)
	return bad, nil
}

// copyBlock reads the block at off into buf, checks it against want, and
// writes its non-zero runs to dst. ok is false when the block does not
// match (nothing is written).
func copyBlock(src engine.Source, want engine.BlockSum, buf []byte, dst *os.File, off int64) (ok bool, err error) {
	if _, err := src.ReadAt(buf, off); err != nil {
		return false, fmt.Errorf("read the source's block at offset %d: %w", off, err)
	}
	if want.IsZero() {
		return engine.AllZero(buf), nil
	}
	if engine.SumOf(buf) != want {
		return false, nil
	}
	if err := writeSparse(dst, buf, off); err != nil {
		return false, fmt.Errorf("write block at offset %d: %w", off, err)
	}
	return true, nil
}

// blocksToRead marks the blocks an extent overlaps, and every block the
// manifest says holds data (a hole there is damage to be found).
func blocksToRead(extents []engine.Extent, m *engine.Manifest) []bool {
	out := make([]bool, len(m.Blocks))
	for _, e := range extents {
		end := min(e.Offset+e.Length, m.Size)
		if e.Length <= 0 || e.Offset >= end {
			continue
		}
		for i := e.Offset / engine.BlockSize; i <= (end-1)/engine.BlockSize; i++ {
			out[i] = true
		}
	}
	for i, b := range m.Blocks {
		out[i] = out[i] || !b.IsZero()
	}
	return out
}
