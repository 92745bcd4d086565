package backupstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// blockKey is a block ID in binary form: 32 bytes instead of a 64-byte
// string, so a set of a million blocks stays around 60 MB.
type blockKey [format.IDLength / 2]byte

func keyOf(id string) blockKey {
	var k blockKey
	_, _ = hex.Decode(k[:], []byte(id))
	return k
}

// KnownBlocks is the set of block IDs known to exist in a target's pool.
// It replaces upstream's existence request per block: it is filled by one
// Walk of the pool and by this process's own uploads, and reset by garbage
// collection. A block not in the set is uploaded (a harmless overwrite if
// it did exist). Blocks remembered as damaged (see BadBlockRecord) are
// never reported present, whatever a listing found. Safe for concurrent use.
type KnownBlocks struct {
	mu       sync.RWMutex
	ids      map[blockKey]struct{}
	bad      map[blockKey]struct{} // remembered damaged: never "known"
	loadedAt time.Time
	loaded   bool
}

// Has reports whether id is known to be in the pool, intact.
func (k *KnownBlocks) Has(id string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	key := keyOf(id)
	_, ok := k.ids[key]
	_, bad := k.bad[key]
	return ok && !bad
}

// Add records that id is now in the pool.
func (k *KnownBlocks) Add(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids == nil {
		k.ids = make(map[blockKey]struct{})
	}
	k.ids[keyOf(id)] = struct{}{}
}

// Len is the number of known blocks.
func (k *KnownBlocks) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.ids)
}

// Invalidate forgets everything; the next backup lists the pool again.
func (k *KnownBlocks) Invalidate() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ids, k.loaded = nil, false
}

// Refresh replaces the set with one Walk of the pool unless the current
// set was loaded less than maxAge ago. The old set is dropped, not merged:
// a block another installation garbage-collected since must not stay
// "known". (A block uploaded while the Walk ran may be missed; it is then
// uploaded again, which is harmless.) On a failed Walk the set is emptied
// and the error returned.
func (k *KnownBlocks) Refresh(ctx context.Context, tgt target.Target, maxAge time.Duration) error {
	k.mu.RLock()
	fresh := k.loaded && maxAge > 0 && time.Since(k.loadedAt) < maxAge
	k.mu.RUnlock()
	if fresh {
		return nil
	}
	ids := make(map[blockKey]struct{})
	started := time.Now()
	err := tgt.Walk(ctx, format.BlocksDir, func(e target.Entry) error {
		// An empty object is a truncated write, not a block.
		if id, ok := format.IDFromBlockKey(e.Key); ok && e.Size > 0 {
			ids[keyOf(id)] = struct{}{}
		}
		return nil
	})
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.ids, k.loaded = nil, false
		return fmt.Errorf("list the block pool %s: %w", format.BlocksDir, err)
	}
	k.ids, k.loaded, k.loadedAt = ids, true, started
	return nil
}
