package backupstore

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// zeroBlock is a read-only block of zeros, hashed in place of holes.
var zeroBlock = make([]byte, format.BlockSize)

// blockJob is one data window in flight. Its buffer returns to the pool
// when both the image hasher and a worker are done with it (refs == 0).
type blockJob struct {
	off  int64
	data []byte
	refs atomic.Int32
}

// hashItem is the next piece of the image in order: a data block or a run
// of zeros (holes).
type hashItem struct {
	job   *blockJob
	zeros int64
}

// BackupStats counts what a backup did.
// A backup from a manifest reads only the blocks it uploads: DataBlocks
// and BytesRead count those, and ZeroBlocks every zero block of the
// manifest (holes included).
type BackupStats struct {
	DataBlocks    int64 // windows read from the source (non-hole)
	ZeroBlocks    int64 // all-zero windows, left out of the cfg like holes
	Uploaded      int64 // blocks written to the pool
	Deduplicated  int64 // blocks already in the pool (or uploaded once in this run)
	BytesRead     int64 // bytes read from the source
	BytesUploaded int64 // encoded bytes written to the pool
}

// pipeline streams a Source through read -> (image hash | block hash,
// compress, upload) with at most cap(free) blocks in memory, whatever the
// image size.
type pipeline struct {
	s      *Store
	src    Source
	size   int64
	method string
	conc   int
	meter  *progressMeter

	bufs   chan []byte // returned buffers
	nbufs  int         // buffers allocated so far
	maxBuf int
	hashCh chan hashItem
	workCh chan *blockJob

	mu      sync.Mutex
	refs    []format.BlockRef
	claimed map[blockKey]struct{}
	stats   BackupStats
}

func newPipeline(s *Store, src Source, method string, conc int, meter *progressMeter) *pipeline {
	maxBuf := conc + 4
	return &pipeline{
		s: s, src: src, size: src.Size(), method: method, conc: conc, meter: meter,
		bufs: make(chan []byte, maxBuf), maxBuf: maxBuf,
		hashCh: make(chan hashItem, maxBuf), workCh: make(chan *blockJob, conc),
		claimed: make(map[blockKey]struct{}),
	}
}

// run streams the whole image and returns its block list (sorted by
// offset) and SHA-512 hex.
func (p *pipeline) run(ctx context.Context) ([]format.BlockRef, string, error) {
	extents, err := p.src.DataExtents(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("find data extents of the source: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	sum := sha512.New()
	wg.Go(func() { p.hashImage(ctx, sum) })
	for range p.conc {
		enc, err := blockcodec.NewEncoder(p.method)
		if err != nil {
			return nil, "", err
		}
		wg.Go(func() {
			if err := p.work(ctx, enc); err != nil {
				cancel(err)
			}
		})
	}
	if err := p.read(ctx, extents); err != nil {
		cancel(err)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, "", err
	}
	sortRefs(p.refs)
	return p.refs, hex.EncodeToString(sum.Sum(nil)), nil
}

// read feeds every data window, in order, to the hasher and the workers,
// and the holes between them to the hasher.
func (p *pipeline) read(ctx context.Context, extents []Extent) error {
	defer close(p.workCh)
	defer close(p.hashCh)
	pos := int64(0)
	var err error
	windowsOf(extents, p.size, func(idx int64) bool {
		off := idx * format.BlockSize
		if off > pos {
			if err = p.sendHash(ctx, hashItem{zeros: off - pos}); err != nil {
				return false
			}
		}
		var buf []byte
		if buf, err = p.buffer(ctx); err != nil {
			return false
		}
		job := &blockJob{off: off, data: buf[:windowLen(idx, p.size)]}
		if _, err = p.src.ReadAt(job.data, off); err != nil {
			err = fmt.Errorf("read source at offset %d: %w", off, err)
			return false
		}
		job.refs.Store(2)
		if err = p.sendHash(ctx, hashItem{job: job}); err != nil {
			p.release(job) // the worker's reference
			return false
		}
		select {
		case p.workCh <- job:
		case <-ctx.Done():
			p.release(job)
			err = context.Cause(ctx)
			return false
		}
		pos = off + int64(len(job.data))
		return true
	})
	if err == nil && pos < p.size {
		err = p.sendHash(ctx, hashItem{zeros: p.size - pos})
	}
	return err
}

func (p *pipeline) sendHash(ctx context.Context, it hashItem) error {
	select {
	case p.hashCh <- it:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// buffer returns a free block buffer, allocating up to maxBuf of them.
func (p *pipeline) buffer(ctx context.Context) ([]byte, error) {
	select {
	case b := <-p.bufs:
		return b, nil
	default:
	}
	if p.nbufs < p.maxBuf {
		p.nbufs++
		return make([]byte, format.BlockSize), nil
	}
	select {
	case b := <-p.bufs:
		return b, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// release drops one reference; the last one recycles the buffer and
// counts the window as done.
func (p *pipeline) release(job *blockJob) {
	if job.refs.Add(-1) == 0 {
		p.meter.add(int64(len(job.data)))
		p.bufs <- job.data[:cap(job.data)]
	}
}

// hashImage feeds the image, in order, into the whole-image SHA-512.
func (p *pipeline) hashImage(ctx context.Context, sum hash.Hash) {
	for it := range p.hashCh {
		if it.job != nil {
			sum.Write(it.job.data)
			p.release(it.job)
			continue
		}
		for left := it.zeros; left > 0 && ctx.Err() == nil; {
			n := min(left, int64(len(zeroBlock)))
			sum.Write(zeroBlock[:n])
			left -= n
			p.meter.add(n)
		}
	}
}

// work hashes, compresses and uploads blocks until the reader is done.
func (p *pipeline) work(ctx context.Context, enc *blockcodec.Encoder) error {
	var firstErr error
	for job := range p.workCh {
		if firstErr == nil && ctx.Err() == nil {
			firstErr = p.process(ctx, enc, job)
		}
		p.release(job)
	}
	return firstErr
}

// process handles one block: zero blocks are dropped, known blocks only
// referenced, new ones encoded and uploaded.
func (p *pipeline) process(ctx context.Context, enc *blockcodec.Encoder, job *blockJob) error {
	if isZero(job.data) {
		p.count(func(st *BackupStats) { st.DataBlocks++; st.ZeroBlocks++; st.BytesRead += int64(len(job.data)) })
		return nil
	}
	id := format.BlockID(job.data)
	upload := p.claim(id, job.off) && !p.s.known.Has(id)
	if !upload {
		p.count(func(st *BackupStats) { st.DataBlocks++; st.Deduplicated++; st.BytesRead += int64(len(job.data)) })
		return nil
	}
	payload, err := enc.Encode(job.data)
	key := format.BlockKey(id)
	if err == nil {
		err = p.s.tgt.Put(ctx, key, payload)
	}
	if err != nil {
		return &BlockError{Key: key, Offset: job.off, Err: err}
	}
	p.s.known.Add(id)
	p.s.healed(ctx, id)
	p.count(func(st *BackupStats) {
		st.DataBlocks++
		st.Uploaded++
		st.BytesRead += int64(len(job.data))
		st.BytesUploaded += int64(len(payload))
	})
	return nil
}

// claim records the block at off and reports whether this is the first
// time the run sees its ID (only the first sighting may upload it).
func (p *pipeline) claim(id string, off int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := keyOf(id)
	_, seen := p.claimed[k]
	p.claimed[k] = struct{}{}
	p.refs = append(p.refs, format.BlockRef{Offset: off, BlockChecksum: id})
	return !seen
}

func (p *pipeline) count(fn func(*BackupStats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.stats)
}

// isZero reports whether b is all zeros: b[0] == 0 and every byte equals
// its predecessor, one vectorised comparison.
func isZero(b []byte) bool {
	return len(b) == 0 || (b[0] == 0 && bytes.Equal(b[1:], b[:len(b)-1]))
}
