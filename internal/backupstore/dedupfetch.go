package backupstore

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
)

// distinctBlock is one block ID of a cfg with every offset that uses it.
type distinctBlock struct {
	id      string
	offsets []int64 // sorted
	limits  []int   // the largest length that fits at each offset
	span    int64   // the sum of limits: the progress its restore makes
}

// dedupRestore writes a cfg's blocks into a sink fetching each distinct
// block ID once: it is downloaded, decoded and verified against its ID
// once and written to every offset that uses it. Each worker holds one
// block buffer, so memory is conc blocks whatever the image size. Holes
// and zero blocks are neither written nor hashed. It also builds the
// image's manifest from the block list.
type dedupRestore struct {
	s        *Store
	cfg      *format.Config
	conc     int
	sink     Sink
	meter    *progressMeter
	retryFor time.Duration
	m        *engine.Manifest

	decoders chan *blockcodec.Decoder
	fetched  atomic.Int64
}

func newDedupRestore(s *Store, cfg *format.Config, conc int, sink Sink, meter *progressMeter, m *engine.Manifest) *dedupRestore {
	nd := min(conc, runtime.GOMAXPROCS(0)+1)
	decoders := make(chan *blockcodec.Decoder, nd)
	for range nd {
		decoders <- blockcodec.NewDecoder()
	}
	return &dedupRestore{s: s, cfg: cfg, conc: conc, sink: sink, meter: meter, m: m, decoders: decoders}
}

// run restores every block; the first failure cancels the rest and is
// returned (a *BlockError naming the block for a bad or missing one).
func (r *dedupRestore) run(ctx context.Context) error {
	blocks, holes := groupBlocks(r.cfg)
	r.meter.add(holes)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *distinctBlock)
	var wg sync.WaitGroup
	for range min(r.conc, len(blocks)) {
		wg.Go(func() {
			buf := make([]byte, engine.BlockSize)
			for blk := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := r.restoreOne(ctx, buf, blk); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, blk := range blocks {
		select {
		case jobs <- blk:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// groupBlocks lists the distinct block IDs of a validated (sorted) cfg in
// order of first use, and the bytes no block covers.
func groupBlocks(cfg *format.Config) ([]*distinctBlock, int64) {
	size := int64(cfg.Size)
	byID := make(map[string]*distinctBlock, len(cfg.Blocks))
	var out []*distinctBlock
	covered := int64(0)
	for i, ref := range cfg.Blocks {
		blk := byID[ref.BlockChecksum]
		if blk == nil {
			blk = &distinctBlock{id: ref.BlockChecksum}
			byID[ref.BlockChecksum] = blk
			out = append(out, blk)
		}
		limit := blockLimit(cfg.Blocks, i, size)
		blk.offsets = append(blk.offsets, ref.Offset)
		blk.limits = append(blk.limits, limit)
		blk.span += int64(limit)
		covered += int64(limit)
	}
	return out, size - covered
}

// restoreOne fetches, decodes and verifies one distinct block into buf
// and writes it at each of its offsets.
func (r *dedupRestore) restoreOne(ctx context.Context, buf []byte, blk *distinctBlock) error {
	key := format.BlockKey(blk.id)
	fail := func(off int64, err error) error { return &BlockError{Key: key, Offset: off, Err: err} }
	payload, err := getRetrying(ctx, r.s.tgt, key, r.retryFor)
	if err != nil {
		return fail(blk.offsets[0], err)
	}
	dec := <-r.decoders
	data, _, err := dec.DecodeVerified(buf[:0:engine.BlockSize], payload, blk.id, r.cfg.Compression())
	r.decoders <- dec
	if err != nil {
		return fail(blk.offsets[0], err)
	}
	sum, err := engine.ParseSum(blk.id)
	if err != nil {
		return fail(blk.offsets[0], err)
	}
	zero := engine.AllZero(data)
	for i, off := range blk.offsets {
		// An ID names exact bytes, so every use has the same length; a cfg
		// whose later block or end cuts into this one is refused.
		if len(data) > blk.limits[i] {
			return fail(off, fmt.Errorf("the block is %d bytes but only %d fit at offset %d before the next block or the image end", len(data), blk.limits[i], off))
		}
		if !zero {
			if _, err := r.sink.WriteAt(data, off); err != nil {
				return fail(off, fmt.Errorf("write restored block: %w", err))
			}
		}
		r.m.Blocks[off/engine.BlockSize] = manifestEntry(data, zero, sum, off, r.m.Size)
	}
	r.fetched.Add(1)
	r.meter.add(blk.span)
	return nil
}

// manifestEntry is the manifest's ID for block data (whose ID is sum)
// written at off: a zero block for all zeros, sum when the block fills
// its manifest block, else the ID of the block padded with the zeros
// that follow it (a short block in the middle of an image, only a
// foreign writer makes those).
func manifestEntry(data []byte, zero bool, sum engine.BlockSum, off, size int64) engine.BlockSum {
	n := engine.BlockLen(int(off/engine.BlockSize), size)
	switch {
	case zero:
		return engine.BlockSum{}
	case len(data) == n:
		return sum
	}
	padded := make([]byte, n)
	copy(padded, data)
	return engine.SumOf(padded)
}
