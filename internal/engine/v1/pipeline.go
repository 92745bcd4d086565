package v1

import (
	"hash"
	"os"
	"sync"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/engine"
)

// pipelineDepth is how many bufferSize buffers one Writer owns: one being
// filled by the caller, the others being hashed and written. It bounds a
// Writer's memory at pipelineDepth MiB.
const pipelineDepth = 4

// pipeline hashes and writes full buffers in two goroutines (SHA-512 and
// pwrite overlap each other and the caller's next read) while keeping the
// hash in stream order. The hashing goroutine also feeds blocks, an
// engine.Hasher that computes the manifest's block IDs on other
// goroutines, so the whole-image SHA-512 stays the only sequential hash.
// Memory is bounded: buffer blocks when every buffer is in flight.
type pipeline struct {
	f        *os.File
	hash     hash.Hash
	blocks   *engine.Hasher
	free     chan []byte
	toHash   chan *chunk
	toWrite  chan *chunk
	inflight sync.WaitGroup // submitted chunks not yet hashed and written
	workers  sync.WaitGroup
	stopOnce sync.Once
	mu       sync.Mutex
	err      error // first write error
}

// chunk is one submitted buffer; it returns to the free list once both the
// hasher and the writer are done with it.
type chunk struct {
	data []byte
	off  int64
	refs atomic.Int32
}

func newPipeline(f *os.File, h hash.Hash) *pipeline {
	p := &pipeline{
		f: f, hash: h, blocks: engine.NewHasher(),
		free:    make(chan []byte, pipelineDepth),
		toHash:  make(chan *chunk, pipelineDepth),
		toWrite: make(chan *chunk, pipelineDepth),
	}
	for range pipelineDepth {
		p.free <- make([]byte, 0, bufferSize)
	}
	p.workers.Add(2)
	go p.hasher()
	go p.writer()
	return p
}

// buffer returns an empty buffer, waiting for one to come back if needed.
func (p *pipeline) buffer() []byte { return <-p.free }

// submit queues data (a buffer from buffer()) to be hashed and written at
// off. It returns the first write error seen so far, if any.
func (p *pipeline) submit(data []byte, off int64) error {
	c := &chunk{data: data, off: off}
	c.refs.Store(2)
	p.inflight.Add(1)
	p.toHash <- c
	p.toWrite <- c
	return p.failed()
}

func (p *pipeline) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		p.free <- c.data[:0]
		p.inflight.Done()
	}
}

func (p *pipeline) hasher() {
	defer p.workers.Done()
	for c := range p.toHash {
		p.hash.Write(c.data)
		p.blocks.Write(c.data)
		p.release(c)
	}
}

func (p *pipeline) writer() {
	defer p.workers.Done()
	for c := range p.toWrite {
		if p.failed() == nil {
			if err := writeSparse(p.f, c.data, c.off); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
		}
		p.release(c)
	}
}

func (p *pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// wait blocks until every submitted chunk is hashed and written, and
// returns the first write error. After it, p.hash and p.blocks hold the
// whole stream.
func (p *pipeline) wait() error {
	p.inflight.Wait()
	return p.failed()
}

// restart forgets everything submitted (after wait) so the stream can
// begin again at offset zero.
func (p *pipeline) restart() {
	p.inflight.Wait()
	p.mu.Lock()
	p.err = nil
	p.mu.Unlock()
	p.hash.Reset()
	p.blocks.Stop()
	p.blocks = engine.NewHasher()
}

// stop waits for in-flight chunks and ends the goroutines. Idempotent.
func (p *pipeline) stop() {
	p.stopOnce.Do(func() {
		close(p.toHash)
		close(p.toWrite)
		p.workers.Wait()
		p.blocks.Stop()
	})
}
