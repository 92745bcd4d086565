package backupstore

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/plinth-storage/plinth/internal/backupstore/blockcodec"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
)

// manifestBackup backs up a Source whose block IDs a manifest already
// gives: the cfg's block list is the manifest's, and only blocks the pool
// lacks are read, checked against the manifest, compressed and uploaded.
// Each worker holds one block buffer, so memory is conc blocks.
type manifestBackup struct {
	s      *Store
	src    Source
	m      *engine.Manifest
	method string
	conc   int
	meter  *progressMeter
	// pre are the blocks a speculation uploaded, already counted in stats
	// as read and uploaded: found in the pool, they are not counted again.
	pre map[engine.BlockSum]struct{}
	// kits are encoders and buffers to use before allocating new ones.
	kits []workerKit

	mu      sync.Mutex
	stats   BackupStats
	damaged []int64
}

// checkManifest refuses a manifest that cannot describe req.Source or
// contradicts req.Checksum, before anything is written.
func checkManifest(req BackupRequest) error {
	m := req.Manifest
	if err := m.Validate(); err != nil {
		return fmt.Errorf("the source's manifest: %w", err)
	}
	if m.Size != req.Source.Size() {
		return fmt.Errorf("the source is %d bytes but its manifest describes %d: rebuild the copy's manifest", req.Source.Size(), m.Size)
	}
	if req.Checksum != "" && req.Checksum != m.Checksum {
		return fmt.Errorf("%w: expected %s, the source's manifest records %s; nothing was written", ErrSourceChanged, req.Checksum, m.Checksum)
	}
	return nil
}

// run uploads the blocks the pool lacks and returns the cfg's block list,
// sorted by offset. A block whose bytes do not hash to the manifest's ID
// is never uploaded; the run then fails with a *SourceDamagedError naming
// every such block it read.
func (b *manifestBackup) run(ctx context.Context) ([]format.BlockRef, error) {
	refs, todo := b.plan()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idx := make(chan int)
	var wg sync.WaitGroup
	for range min(b.conc, len(todo)) {
		kit, err := b.kit()
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			enc, buf := kit.enc, kit.buf
			for i := range idx {
				if ctx.Err() != nil {
					continue
				}
				if err := b.upload(ctx, enc, buf, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, i := range todo {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if len(b.damaged) > 0 {
		slices.Sort(b.damaged)
		return nil, &SourceDamagedError{Offsets: b.damaged}
	}
	return refs, nil
}

// kit returns an encoder and a block buffer for one worker: one a
// speculation left if any, else new ones.
func (b *manifestBackup) kit() (workerKit, error) {
	if n := len(b.kits); n > 0 {
		k := b.kits[n-1]
		b.kits = b.kits[:n-1]
		return k, nil
	}
	enc, err := blockcodec.NewEncoder(b.method)
	if err != nil {
		return workerKit{}, err
	}
	return workerKit{enc: enc, buf: make([]byte, engine.BlockSize)}, nil
}

// plan builds the block list and picks the blocks to upload: the first
// offset of each ID the pool lacks. Everything else counts as done; a
// block the pool has counts as deduplicated unless this backup's
// speculation uploaded it (it is counted as uploaded then).
func (b *manifestBackup) plan() ([]format.BlockRef, []int) {
	m := b.m
	refs := make([]format.BlockRef, 0, m.DataBlocks())
	seen := make(map[engine.BlockSum]struct{})
	var todo []int
	skipped := int64(0)
	for i, id := range m.Blocks {
		n := int64(engine.BlockLen(i, m.Size))
		if id.IsZero() {
			b.stats.ZeroBlocks++
			skipped += n
			continue
		}
		hexID := id.String()
		refs = append(refs, format.BlockRef{Offset: int64(i) * engine.BlockSize, BlockChecksum: hexID})
		_, dup := seen[id]
		seen[id] = struct{}{}
		switch _, pre := b.pre[id]; {
		case dup:
			b.stats.Deduplicated++
		case b.s.known.Has(hexID):
			if pre {
				continue // the speculation uploaded it and counted its bytes
			}
			b.stats.Deduplicated++
		default:
			todo = append(todo, i)
			continue
		}
		skipped += n
	}
	b.meter.add(skipped)
	return refs, todo
}

// upload reads block i into buf, checks it against the manifest and, if
// it matches, compresses and writes it to the pool.
func (b *manifestBackup) upload(ctx context.Context, enc *blockcodec.Encoder, buf []byte, i int) error {
	off := int64(i) * engine.BlockSize
	data := buf[:engine.BlockLen(i, b.m.Size)]
	if n, err := b.src.ReadAt(data, off); n != len(data) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read source at offset %d: %d of %d bytes: %w", off, n, len(data), err)
	}
	b.count(func(st *BackupStats) { st.DataBlocks++; st.BytesRead += int64(len(data)) })
	defer b.meter.add(int64(len(data)))
	if engine.SumOf(data) != b.m.Blocks[i] {
		b.mu.Lock()
		b.damaged = append(b.damaged, off)
		b.mu.Unlock()
		return nil
	}
	id := b.m.Blocks[i].String()
	key := format.BlockKey(id)
	payload, err := enc.Encode(data)
	if err == nil {
		err = b.s.tgt.Put(ctx, key, payload)
	}
	if err != nil {
		return &BlockError{Key: key, Offset: off, Err: err}
	}
	b.s.known.Add(id)
	b.s.healed(ctx, id)
	b.count(func(st *BackupStats) { st.Uploaded++; st.BytesUploaded += int64(len(payload)) })
	return nil
}

func (b *manifestBackup) count(fn func(*BackupStats)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.stats)
}
