package backupstore

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/target"
)

// fetchSlot is one cfg block in flight through a fetch.
type fetchSlot struct {
	idx  int
	ref  format.BlockRef
	buf  []byte // capacity = the block's maximum decoded length
	data []byte // verified decoded bytes
	err  error
}

// BlockProblem is a block Verify (or a restore) found bad.
type BlockProblem struct {
	Key     string
	Offset  int64
	Missing bool // the object does not exist (else its content is wrong)
	Reason  string
}

// fetcher downloads, decodes and verifies every block of a cfg, with at
// most `window` blocks in memory, optionally writing them to a sink, and
// hashes the image in order (holes as zeros) while doing so.
type fetcher struct {
	s         *Store
	cfg       *format.Config
	conc      int
	sink      Sink // nil: verify only
	keepGoing bool // record bad blocks and go on (Verify) instead of failing
	retryFor  time.Duration
	meter     *progressMeter

	free     chan []byte
	decoders chan *blockcodec.Decoder
	nbufs    int
	window   int
	problems []BlockProblem
	fetched  int64
	// manifest, if set, receives each block's manifest entry.
	manifest *engine.Manifest
}

func newFetcher(s *Store, cfg *format.Config, conc int, sink Sink, meter *progressMeter) *fetcher {
	w := conc + 4
	// Decoding is CPU-bound: more decoders than CPUs only add memory (an
	// lz4 reader holds a 4 MiB frame buffer), however many downloads run.
	nd := min(conc, runtime.GOMAXPROCS(0)+1)
	decoders := make(chan *blockcodec.Decoder, nd)
	for range nd {
		decoders <- blockcodec.NewDecoder()
	}
	return &fetcher{s: s, cfg: cfg, conc: conc, sink: sink, meter: meter, free: make(chan []byte, w), decoders: decoders, window: w}
}

// run returns the image's SHA-512 hex, or "" if a bad block (keepGoing)
// made it impossible to compute.
func (f *fetcher) run(ctx context.Context) (string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *fetchSlot, f.conc)
	done := make(chan *fetchSlot, f.window)
	var wg sync.WaitGroup
	for range f.conc {
		wg.Go(func() {
			for sl := range jobs {
				if ctx.Err() == nil {
					f.fetch(ctx, sl)
				} else {
					sl.err = context.Cause(ctx)
				}
				done <- sl
			}
		})
	}
	go func() {
		f.dispatch(ctx, jobs)
		wg.Wait()
		close(done)
	}()
	sum := sha512.New()
	intact := true
	pos, next := int64(0), 0
	pending := make(map[int]*fetchSlot)
	for sl := range done {
		pending[sl.idx] = sl
		for p, ok := pending[next]; ok; p, ok = pending[next] {
			delete(pending, next)
			next++
			if err := f.settle(p, &intact); err != nil && ctx.Err() == nil {
				cancel(err)
			}
			if intact && ctx.Err() == nil {
				hashZeros(sum, p.ref.Offset-pos)
				sum.Write(p.data)
			}
			f.meter.add(p.ref.Offset + int64(len(p.data)) - pos)
			pos = p.ref.Offset + int64(len(p.data))
			f.free <- p.buf
		}
	}
	if err := context.Cause(ctx); err != nil {
		return "", err
	}
	if !intact {
		return "", nil
	}
	hashZeros(sum, int64(f.cfg.Size)-pos)
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// dispatch hands out the blocks in offset order, each with a buffer; the
// bounded buffer pool is what bounds memory.
func (f *fetcher) dispatch(ctx context.Context, jobs chan<- *fetchSlot) {
	defer close(jobs)
	blocks := f.cfg.Blocks
	for i, ref := range blocks {
		limit := blockLimit(blocks, i, int64(f.cfg.Size))
		var buf []byte
		select {
		case buf = <-f.free:
		default:
			if f.nbufs < f.window {
				f.nbufs++
				buf = make([]byte, format.BlockSize)
			} else {
				select {
				case buf = <-f.free:
				case <-ctx.Done():
					return
				}
			}
		}
		select {
		case jobs <- &fetchSlot{idx: i, ref: ref, buf: buf[:0:limit]}:
		case <-ctx.Done():
			return
		}
	}
}

// settle records the outcome of a block taken in order. It returns the
// error that must stop the whole operation, if any.
func (f *fetcher) settle(sl *fetchSlot, intact *bool) error {
	sl.buf = sl.buf[:cap(sl.buf)]
	if sl.err == nil {
		f.fetched++
		return nil
	}
	*intact = false
	sl.data = nil
	key := format.BlockKey(sl.ref.BlockChecksum)
	missing := target.IsNotFound(sl.err)
	if !f.keepGoing || (!missing && !errors.Is(sl.err, blockcodec.ErrMismatch)) {
		return &BlockError{Key: key, Offset: sl.ref.Offset, Err: sl.err}
	}
	f.problems = append(f.problems, BlockProblem{Key: key, Offset: sl.ref.Offset, Missing: missing, Reason: sl.err.Error()})
	return nil
}

// fetch downloads, verifies and (with a sink) writes one block.
func (f *fetcher) fetch(ctx context.Context, sl *fetchSlot) {
	payload, err := getRetrying(ctx, f.s.tgt, format.BlockKey(sl.ref.BlockChecksum), f.retryFor)
	if err != nil {
		sl.err = err
		return
	}
	dec := <-f.decoders
	data, _, err := dec.DecodeVerified(sl.buf, payload, sl.ref.BlockChecksum, f.cfg.Compression())
	f.decoders <- dec
	if err != nil {
		sl.err = err
		return
	}
	if f.sink != nil {
		if _, err := f.sink.WriteAt(data, sl.ref.Offset); err != nil {
			sl.err = fmt.Errorf("write restored block: %w", err)
			return
		}
	}
	if f.manifest != nil {
		sum, err := engine.ParseSum(sl.ref.BlockChecksum)
		if err != nil {
			sl.err = err
			return
		}
		f.manifest.Blocks[sl.ref.Offset/engine.BlockSize] = manifestEntry(data, engine.AllZero(data), sum, sl.ref.Offset, f.manifest.Size)
	}
	sl.data = data
}

// blockLimit is the largest decoded length block i may have: up to the
// next block, the image end and BlockSize.
func blockLimit(blocks []format.BlockRef, i int, size int64) int {
	end := size
	if i+1 < len(blocks) {
		end = min(end, blocks[i+1].Offset)
	}
	return int(min(end-blocks[i].Offset, format.BlockSize))
}

func hashZeros(h hash.Hash, n int64) {
	for n > 0 {
		k := min(n, int64(len(zeroBlock)))
		h.Write(zeroBlock[:k])
		n -= k
	}
}

// validateBlocks checks a cfg's block list before anything is fetched:
// valid IDs, offsets aligned to BlockSize, inside the image, no duplicates.
// It sorts the list by offset.
func validateBlocks(cfg *format.Config) error {
	sortRefs(cfg.Blocks)
	size := int64(cfg.Size)
	for i, b := range cfg.Blocks {
		switch {
		case !format.ValidID(b.BlockChecksum):
			return fmt.Errorf("block at offset %d has an invalid ID %q", b.Offset, b.BlockChecksum)
		case b.Offset < 0 || b.Offset%format.BlockSize != 0:
			return fmt.Errorf("block offset %d is not a multiple of %d", b.Offset, format.BlockSize)
		case b.Offset >= size:
			return fmt.Errorf("block offset %d is beyond the image size %d", b.Offset, size)
		case i > 0 && cfg.Blocks[i-1].Offset == b.Offset:
			return fmt.Errorf("two blocks at offset %d", b.Offset)
		}
	}
	return nil
}
