package v2

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/engine"
)

// fillDepth is how many windows one fill has in flight (being read, hashed
// or written). It bounds a fill's memory at fillDepth cluster buffers.
const fillDepth = 4

// window is one cluster-sized, cluster-aligned piece of a source. hole is
// true when no data extent overlaps it: the whole SHA-512 takes it as
// zeros, the manifest's hasher skips it (a hole is never block-hashed),
// and it is not written (the new volume is all holes already).
type window struct {
	off  int64
	data []byte
	hole bool
	refs atomic.Int32 // stages still using data
}

// filler reads a source window by window, in order, and hands each window
// to a hasher and (unless it is a hole, or dst is nil) a writer goroutine,
// so reading, SHA-512 and writing overlap. Whole cluster-aligned windows
// are what the volume store writes fastest, and it allocates nothing for
// a window of zeros.
type filler struct {
	src      engine.Source
	dst      io.WriterAt // nil: hash only
	cs       int64
	progress func(done int64)

	hash    hash.Hash      // nil: no hashing
	blocks  *engine.Hasher // the manifest's block IDs, beside hash
	zeros   []byte
	free    chan []byte
	toHash  chan *window
	toWrite chan *window
	mu      sync.Mutex
	err     error // first write error
}

// fill copies src into dst (nil to only hash) in windows of cs bytes. With
// hashing, it returns the manifest of src's content: the whole SHA-512
// (holes included) computed in order beside the block IDs, which an
// engine.Hasher computes on other goroutines; holes are skipped, never
// block-hashed. Without hashing it only copies and returns nil. progress,
// if not nil, gets the bytes processed so far.
func fill(ctx context.Context, src engine.Source, dst io.WriterAt, cs int64, hashing bool,
	progress func(int64)) (*engine.Manifest, error) {
	extents, err := src.DataExtents(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the data of the source: %w", err)
	}
	if progress == nil {
		progress = func(int64) {}
	}
	f := &filler{src: src, dst: dst, cs: cs, progress: progress, zeros: make([]byte, cs),
		free: make(chan []byte, fillDepth), toHash: make(chan *window, fillDepth), toWrite: make(chan *window, fillDepth)}
	if hashing {
		f.hash, f.blocks = sha512.New(), engine.NewHasher()
		defer f.blocks.Stop()
	}
	for range fillDepth {
		f.free <- make([]byte, cs)
	}
	var workers sync.WaitGroup
	workers.Add(2)
	go func() { defer workers.Done(); f.hasher() }()
	go func() { defer workers.Done(); f.writer() }()
	err = f.run(ctx, extents)
	close(f.toHash)
	close(f.toWrite)
	workers.Wait()
	if err == nil {
		err = f.failed()
	}
	if err != nil || !hashing {
		return nil, err
	}
	return f.blocks.Finish(hex.EncodeToString(f.hash.Sum(nil))), nil
}

// run reads every window in order and submits it.
func (f *filler) run(ctx context.Context, extents []engine.Extent) error {
	size, next := f.src.Size(), 0
	for off := int64(0); off < size; off += f.cs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.failed(); err != nil {
			return err
		}
		n := min(f.cs, size-off)
		for next < len(extents) && extents[next].Offset+extents[next].Length <= off {
			next++
		}
		w := &window{off: off, hole: next >= len(extents) || extents[next].Offset >= off+n}
		if w.hole {
			w.data = f.zeros[:n]
		} else {
			w.data = (<-f.free)[:n]
			if k, err := f.src.ReadAt(w.data, off); k < len(w.data) {
				f.free <- w.data[:cap(w.data)]
				return fmt.Errorf("read the source at %d: %d of %d bytes: %w", off, k, len(w.data), orUnexpectedEOF(err))
			}
		}
		f.submit(w)
		f.progress(off + n)
	}
	return nil
}

// submit queues w for hashing and, if it holds data, writing.
func (f *filler) submit(w *window) {
	if w.hole || f.dst == nil {
		w.refs.Store(1)
		f.toHash <- w
		return
	}
	w.refs.Store(2)
	f.toHash <- w
	f.toWrite <- w
}

// release ends one stage's use of w; the last one returns its buffer to
// the free list (a hole's buffer is the shared zeros, never returned).
func (f *filler) release(w *window) {
	if w.refs.Add(-1) == 0 && !w.hole {
		f.free <- w.data[:cap(w.data)]
	}
}

func (f *filler) hasher() {
	for w := range f.toHash {
		if f.hash != nil {
			f.hash.Write(w.data)
			if w.hole {
				f.blocks.Skip(int64(len(w.data)))
			} else {
				f.blocks.Write(w.data)
			}
		}
		f.release(w)
	}
}

func (f *filler) writer() {
	for w := range f.toWrite {
		if f.failed() == nil {
			if _, err := f.dst.WriteAt(w.data, w.off); err != nil {
				f.mu.Lock()
				f.err = fmt.Errorf("write at %d: %w", w.off, err)
				f.mu.Unlock()
			}
		}
		f.release(w)
	}
}

func (f *filler) failed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// orUnexpectedEOF turns a short read's missing or io.EOF error into
// io.ErrUnexpectedEOF: the source is shorter than it said.
func orUnexpectedEOF(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
