package backupstore

import (
	"context"
	"sync"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/target"
)

// speculation pre-uploads, while a manifest backup waits for the store
// lock, the blocks the pool lacks (see Store.Backup for why this is
// safe). It is best effort: any failure (a listing error, a read error, a
// block that does not match the manifest, a failed Put) only stops it,
// and the locked path, which runs after it, does and reports everything
// as it would without it. It lists the pool privately (the Store's
// known-blocks set is neither read nor fed), never writes a cfg and never
// touches the bad-blocks record. Each worker holds one block buffer.
type speculation struct {
	s      *Store
	src    Source
	m      *engine.Manifest
	name   string
	method string
	conc   int
	meter  *progressMeter // the backup's progress

	cancel context.CancelFunc // stops the listing and the feed: no new block starts
	done   chan struct{}      // closed when every worker has returned

	mu       sync.Mutex
	stats    BackupStats // reads and uploads, counted as the locked path would
	uploaded map[engine.BlockSum]struct{}
	kits     []workerKit // the workers' encoders and buffers, for the locked path to reuse
}

// workerKit is what one upload worker holds: an encoder and a block buffer.
type workerKit struct {
	enc *blockcodec.Encoder
	buf []byte
}

// speculate starts the speculation of req (which has a Manifest) and
// returns at once. Its Puts run under ctx; halt stops it. Each block it
// uploads is counted on meter (the backup's progress).
func (s *Store) speculate(ctx context.Context, req BackupRequest, meter *progressMeter) *speculation {
	sp := &speculation{
		s: s, src: req.Source, m: req.Manifest, name: req.Name, method: req.Compression, meter: meter,
		conc: s.concurrency(req.Concurrency), done: make(chan struct{}),
		uploaded: make(map[engine.BlockSum]struct{}),
	}
	feed, cancel := context.WithCancel(ctx)
	sp.cancel = cancel
	go func() {
		defer close(sp.done)
		sp.run(ctx, feed)
	}()
	return sp
}

// halt stops the speculation: blocks not yet started are left alone,
// those being uploaded finish (or fail). It returns once nothing of it
// runs any more; what it did is then in stats and uploaded. A nil
// speculation does nothing; halt may be called more than once.
func (sp *speculation) halt() {
	if sp == nil {
		return
	}
	sp.cancel()
	<-sp.done
}

// result returns, after halt, what the speculation read and uploaded, the
// IDs it uploaded and its workers' kits (all zero for a nil speculation).
func (sp *speculation) result() (BackupStats, map[engine.BlockSum]struct{}, []workerKit) {
	if sp == nil {
		return BackupStats{}, nil, nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.stats, sp.uploaded, sp.kits
}

// run lists the pool and uploads the first offset of every distinct
// manifest block it lacks, until done or feed ends. A complete backup of
// the same name means the backup will be adopted: nothing is uploaded.
func (sp *speculation) run(ctx, feed context.Context) {
	if cfg, err := sp.s.loadConfig(feed, sp.name); err == nil && !cfg.InProgress() || err != nil && !target.IsNotFound(err) {
		return
	}
	todo := sp.plan(feed)
	if len(todo) == 0 {
		return
	}
	idx := make(chan int)
	var wg sync.WaitGroup
	for range min(sp.conc, len(todo)) {
		enc, err := blockcodec.NewEncoder(sp.method)
		if err != nil {
			sp.cancel()
			break
		}
		wg.Go(func() {
			buf := make([]byte, engine.BlockSize)
			for i := range idx {
				if feed.Err() == nil && !sp.upload(ctx, enc, buf, i) {
					sp.cancel() // leave the rest to the locked path
				}
			}
			sp.mu.Lock()
			sp.kits = append(sp.kits, workerKit{enc: enc, buf: buf})
			sp.mu.Unlock()
		})
	}
feed:
	for _, i := range todo {
		select {
		case idx <- i:
		case <-feed.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
}

// plan lists the pool privately and returns the first offset of each
// distinct non-zero manifest block missing from it; nil if the listing
// fails or is stopped.
func (sp *speculation) plan(feed context.Context) []int {
	have := make(map[blockKey]struct{})
	err := sp.s.tgt.Walk(feed, format.BlocksDir, func(e target.Entry) error {
		if id, ok := format.IDFromBlockKey(e.Key); ok && e.Size > 0 {
			have[keyOf(id)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	seen := make(map[engine.BlockSum]struct{})
	var todo []int
	for i, id := range sp.m.Blocks {
		if id.IsZero() {
			continue
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		if _, ok := have[blockKey(id)]; !ok {
			todo = append(todo, i)
		}
	}
	return todo
}

// upload reads block i, checks it against the manifest and writes it to
// the pool, reporting whether all of that succeeded. Its read counts even
// when the rest fails: the locked path reads the block again.
func (sp *speculation) upload(ctx context.Context, enc *blockcodec.Encoder, buf []byte, i int) bool {
	off := int64(i) * engine.BlockSize
	data := buf[:engine.BlockLen(i, sp.m.Size)]
	n, _ := sp.src.ReadAt(data, off) // a short read is left to the locked path, which reports it
	sp.count(func(st *BackupStats) { st.DataBlocks++; st.BytesRead += int64(n) })
	if n != len(data) || engine.SumOf(data) != sp.m.Blocks[i] {
		return false // the locked path reads it again and reports the error or the damage
	}
	payload, err := enc.Encode(data)
	if err != nil || sp.s.tgt.Put(ctx, format.BlockKey(sp.m.Blocks[i].String()), payload) != nil {
		return false
	}
	sp.count(func(st *BackupStats) {
		st.Uploaded++
		st.BytesUploaded += int64(len(payload))
		sp.uploaded[sp.m.Blocks[i]] = struct{}{}
	})
	sp.meter.add(int64(len(data)))
	return true
}

func (sp *speculation) count(fn func(*BackupStats)) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	fn(&sp.stats)
}
