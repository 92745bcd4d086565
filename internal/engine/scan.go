package engine

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Build reads all of src once and returns its manifest: block IDs hashed
// in parallel, the whole-content SHA-512 in order beside them. It is how a
// copy made before manifests existed gets one. If want is not empty and
// the content does not hash to it, Build fails with ErrChecksumMismatch.
func Build(ctx context.Context, src Source, want string, progress func(done int64)) (*Manifest, error) {
	size := src.Size()
	m := NewManifest(size, "")
	whole := sha512.New()
	next := 0 // next block to feed the whole hash
	pending := map[int][]byte{}
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var done atomic.Int64
	var wake sync.Once
	err := forBlocks(ctx, src, nil, func(ctx context.Context, i int, data []byte) error {
		wake.Do(func() { // a failed read elsewhere must not leave a waiter below
			context.AfterFunc(ctx, func() { mu.Lock(); cond.Broadcast(); mu.Unlock() })
		})
		if !allZero(data) {
			m.Blocks[i] = SumOf(data)
		}
		// The whole hash is sequential: hand the block over in order.
		mu.Lock()
		defer mu.Unlock()
		pending[i] = data
		for b, ok := pending[next]; ok; b, ok = pending[next] {
			whole.Write(b)
			delete(pending, next)
			next++
		}
		cond.Broadcast()
		for _, held := pending[i]; held && ctx.Err() == nil; _, held = pending[i] {
			cond.Wait() // keep the buffer until the whole hash took it
		}
		if progress != nil {
			progress(done.Add(int64(len(data))))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.Checksum = hex.EncodeToString(whole.Sum(nil))
	if want != "" && want != m.Checksum {
		return nil, fmt.Errorf("%w: recorded %s, content hashes to %s", ErrChecksumMismatch, want, m.Checksum)
	}
	return m, nil
}

// Check re-reads src and compares every block with m: a data block must
// hash to its ID, a zero block must read as zeros (no hashing). It returns
// the offsets of the blocks that differ, sorted; an error only when src
// cannot be read or ctx ends.
func Check(ctx context.Context, src Source, m *Manifest, opts VerifyOptions) ([]int64, error) {
	var lim *rate.Limiter
	if opts.BytesPerSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(opts.BytesPerSecond), BlockSize)
	}
	return checkBlocks(ctx, src, m, lim, opts.Progress, nil)
}

// CopyVerified reads src and checks it against m exactly as Check does,
// and hands every data block that matches to write (from several
// goroutines at once; data is valid during the call). Zero blocks are only
// checked: a copy leaves them as holes. It returns the offsets of the
// blocks that differ, sorted (none of them was written), or the first
// error of reading src or of write. progress, if set, gets the bytes
// examined so far, possibly out of order.
func CopyVerified(ctx context.Context, src Source, m *Manifest, write func(off int64, data []byte) error,
	progress func(done int64)) ([]int64, error) {
	return checkBlocks(ctx, src, m, nil, progress, write)
}

// checkBlocks is Check and CopyVerified: every block of src compared with
// m, and the matching data blocks passed to write when it is set.
func checkBlocks(ctx context.Context, src Source, m *Manifest, lim *rate.Limiter, progress func(int64),
	write func(off int64, data []byte) error) ([]int64, error) {
	if src.Size() != m.Size {
		return nil, fmt.Errorf("the copy is %d bytes, its manifest %d", src.Size(), m.Size)
	}
	var mu sync.Mutex
	var bad []int64
	var done atomic.Int64
	err := forBlocks(ctx, src, lim, func(_ context.Context, i int, data []byte) error {
		want, off := m.Blocks[i], int64(i)*BlockSize
		ok := (want.IsZero() && allZero(data)) || (!want.IsZero() && SumOf(data) == want)
		if !ok {
			mu.Lock()
			bad = append(bad, off)
			mu.Unlock()
		} else if write != nil && !want.IsZero() {
			if err := write(off, data); err != nil {
				return fmt.Errorf("write block at offset %d: %w", off, err)
			}
		}
		if progress != nil {
			progress(done.Add(int64(len(data))))
		}
		return nil
	})
	slices.Sort(bad)
	return bad, err
}

// forBlocks reads every block of src with one reader per CPU and calls fn
// with each (concurrently; data is valid during the call). lim, if set,
// bounds the read rate. Blocks outside src's data extents are passed as
// zeros without reading.
func forBlocks(ctx context.Context, src Source, lim *rate.Limiter, fn func(ctx context.Context, i int, data []byte) error) error {
	size := src.Size()
	extents, err := src.DataExtents(ctx)
	if err != nil {
		return fmt.Errorf("find the data extents: %w", err)
	}
	hasData := blocksWithData(extents, size)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idx := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := make([]byte, BlockSize)
			zeros := make([]byte, BlockSize)
			for i := range idx {
				data := buf[:BlockLen(i, size)]
				if !hasData[i] {
					data = zeros[:len(data)]
				} else if err := readBlock(ctx, src, lim, data, int64(i)*BlockSize); err != nil {
					cancel(err)
					continue
				}
				if err := fn(ctx, i, data); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := range NumBlocks(size) {
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
	return context.Cause(ctx)
}

func readBlock(ctx context.Context, src Source, lim *rate.Limiter, data []byte, off int64) error {
	if lim != nil {
		if err := lim.WaitN(ctx, len(data)); err != nil {
			return err
		}
	}
	if _, err := src.ReadAt(data, off); err != nil {
		return fmt.Errorf("read block at offset %d: %w", off, err)
	}
	return nil
}

// blocksWithData marks the blocks an extent overlaps.
func blocksWithData(extents []Extent, size int64) []bool {
	out := make([]bool, NumBlocks(size))
	for _, e := range extents {
		end := min(e.Offset+e.Length, size)
		if e.Length <= 0 || e.Offset >= end {
			continue
		}
		for i := e.Offset / BlockSize; i <= (end-1)/BlockSize; i++ {
			out[i] = true
		}
	}
	return out
}
