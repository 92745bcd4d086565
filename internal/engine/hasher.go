package engine

import (
	"bytes"
	"runtime"
	"sync"
)

// Hasher computes a manifest's block IDs from content that arrives in
// order (a download, an upload, a conversion), hashing whole blocks on
// other goroutines so the caller's own work (the whole-image SHA-512, the
// writes) is not slowed. Memory is bounded: Write blocks while every
// buffer is being hashed. A Hasher belongs to one goroutine.
type Hasher struct {
	cur     []byte // the block being filled
	pos     int64  // bytes accepted so far
	free    chan []byte
	jobs    chan hashJob
	wg      sync.WaitGroup
	mu      sync.Mutex
	blocks  []BlockSum
	stopped bool
}

type hashJob struct {
	idx  int
	data []byte
}

// NewHasher starts a Hasher with one hashing goroutine per CPU but one
// (at least one). Call Finish or Stop to end its goroutines.
func NewHasher() *Hasher {
	n := max(1, runtime.GOMAXPROCS(0)-1)
	h := &Hasher{free: make(chan []byte, n+2), jobs: make(chan hashJob, n+2)}
	for range n + 2 {
		h.free <- make([]byte, 0, BlockSize)
	}
	h.cur = <-h.free
	for range n {
		h.wg.Go(h.work)
	}
	return h
}

func (h *Hasher) work() {
	for j := range h.jobs {
		var s BlockSum
		if !allZero(j.data) {
			s = SumOf(j.data)
		}
		h.mu.Lock()
		for len(h.blocks) <= j.idx {
			h.blocks = append(h.blocks, BlockSum{})
		}
		h.blocks[j.idx] = s
		h.mu.Unlock()
		h.free <- j.data[:0]
	}
}

// Write accepts the next bytes of the content; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(h.cur[len(h.cur):BlockSize], p)
		h.cur = h.cur[:len(h.cur)+k]
		p = p[k:]
		h.pos += int64(k)
		if len(h.cur) == BlockSize {
			h.flush()
		}
	}
	return n, nil
}

// Skip accepts n zero bytes without their data (a hole): a block that is
// all hole is never hashed.
func (h *Hasher) Skip(n int64) {
	for n > 0 {
		if len(h.cur) == 0 && n >= BlockSize {
			whole := n / BlockSize
			h.mu.Lock()
			idx := int(h.pos / BlockSize)
			for len(h.blocks) < idx+int(whole) {
				h.blocks = append(h.blocks, BlockSum{})
			}
			h.mu.Unlock()
			h.pos += whole * BlockSize
			n -= whole * BlockSize
			continue
		}
		k := min(n, int64(BlockSize-len(h.cur)))
		start := len(h.cur)
		h.cur = h.cur[:start+int(k)]
		clear(h.cur[start:])
		h.pos += k
		n -= k
		if len(h.cur) == BlockSize {
			h.flush()
		}
	}
}

func (h *Hasher) flush() {
	idx := int((h.pos - int64(len(h.cur))) / BlockSize)
	h.jobs <- hashJob{idx: idx, data: h.cur}
	h.cur = <-h.free
}

// Written is the number of bytes accepted so far.
func (h *Hasher) Written() int64 { return h.pos }

// Finish hashes the last, partial block, waits for every block and
// returns the manifest of the h.Written() bytes with checksum, the whole
// content's SHA-512 the caller computed. The Hasher is done afterwards.
func (h *Hasher) Finish(checksum string) *Manifest {
	if len(h.cur) > 0 {
		h.flush()
	}
	h.Stop()
	m := NewManifest(h.pos, checksum)
	copy(m.Blocks, h.blocks)
	return m
}

// Stop ends the hashing goroutines without a result (an aborted copy).
// Idempotent.
func (h *Hasher) Stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	close(h.jobs)
	h.wg.Wait()
}

// allZero reports whether b is all zeros: b[0] == 0 and every byte equals
// its predecessor, one vectorised comparison.
func allZero(b []byte) bool {
	return len(b) == 0 || (b[0] == 0 && bytes.Equal(b[1:], b[:len(b)-1]))
}

// AllZero reports whether b holds only zero bytes.
func AllZero(b []byte) bool { return allZero(b) }
