package backupstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
)

// BadBlockRecord durably remembers the IDs of the blocks in one target's
// pool that a verify found missing or corrupt. A backup never counts a
// remembered block as present: it uploads it again, and the rewrite
// removes it from the record. Implementations must be safe for concurrent
// use; the daemon keeps the record in etcd, next to its other state.
type BadBlockRecord interface {
	// Load returns every remembered block ID; none is an empty slice and a
	// nil error. An error means the record could not be read.
	Load(ctx context.Context) ([]string, error)
	// Update adds the IDs in add and then removes those in remove, in one
	// durable write (nothing is written when nothing changes).
	Update(ctx context.Context, add, remove []string) error
}

// MemBadBlocks is a BadBlockRecord kept in memory: what a Store uses when
// Options.BadBlocks is nil. It lasts as long as the process.
type MemBadBlocks struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

var _ BadBlockRecord = (*MemBadBlocks)(nil)

// Load returns the remembered IDs, sorted.
func (m *MemBadBlocks) Load(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.ids))
	for id := range m.ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// Update adds add, then removes remove; it never fails.
func (m *MemBadBlocks) Update(_ context.Context, add, remove []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ids == nil {
		m.ids = make(map[string]struct{})
	}
	for _, id := range add {
		m.ids[id] = struct{}{}
	}
	for _, id := range remove {
		delete(m.ids, id)
	}
	return nil
}

// setBad replaces the set of blocks that Has must never report present.
func (k *KnownBlocks) setBad(ids []string) {
	bad := make(map[blockKey]struct{}, len(ids))
	for _, id := range ids {
		bad[keyOf(id)] = struct{}{}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.bad = bad
}

// updateBad adds and removes ids in the bad set.
func (k *KnownBlocks) updateBad(add, remove []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.bad == nil {
		k.bad = make(map[blockKey]struct{})
	}
	for _, id := range add {
		k.bad[keyOf(id)] = struct{}{}
	}
	for _, id := range remove {
		delete(k.bad, keyOf(id))
	}
}

// clearBad removes id from the bad set and reports whether it was there.
func (k *KnownBlocks) clearBad(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := keyOf(id)
	_, was := k.bad[key]
	delete(k.bad, key)
	return was
}

// BadBlocks returns the IDs of the blocks remembered as damaged on this
// Store's target, read from the record (and refreshed in memory).
func (s *Store) BadBlocks(ctx context.Context) ([]string, error) {
	ids, err := s.opts.BadBlocks.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the record of damaged blocks: %w", err)
	}
	s.known.setBad(ids)
	return ids, nil
}

// loadBadBlocks refreshes the in-memory bad set from the record, so that a
// backup uploads every remembered block again.
func (s *Store) loadBadBlocks(ctx context.Context) error {
	_, err := s.BadBlocks(ctx)
	return err
}

// rememberVerify records what a verify of cfg found: every missing or
// corrupt block becomes bad; a remembered block of cfg that read intact
// this time (someone rewrote it) is forgotten.
func (s *Store) rememberVerify(ctx context.Context, cfg *format.Config, problems []BlockProblem) error {
	badNow := make(map[string]struct{}, len(problems))
	var add []string
	for _, p := range problems {
		if id, ok := format.IDFromBlockKey(p.Key); ok {
			if _, dup := badNow[id]; !dup {
				badNow[id] = struct{}{}
				add = append(add, id)
			}
		}
	}
	prev, err := s.opts.BadBlocks.Load(ctx)
	if err != nil {
		return fmt.Errorf("read the record of damaged blocks: %w", err)
	}
	inCfg := make(map[string]struct{}, len(cfg.Blocks))
	for _, b := range cfg.Blocks {
		inCfg[b.BlockChecksum] = struct{}{}
	}
	var remove []string
	for _, id := range prev {
		_, used := inCfg[id]
		_, bad := badNow[id]
		if used && !bad {
			remove = append(remove, id)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	if err := s.opts.BadBlocks.Update(ctx, add, remove); err != nil {
		return fmt.Errorf("remember %d damaged blocks: %w", len(add), err)
	}
	s.known.updateBad(add, remove)
	return nil
}

// healed forgets id as damaged after a good copy of it was written. A
// failure to update the record is not an error of the write: the block
// then stays remembered and the next backup uploads it once more, which is
// harmless.
func (s *Store) healed(ctx context.Context, id string) {
	if s.known.clearBad(id) {
		_ = s.opts.BadBlocks.Update(ctx, nil, []string{id})
	}
}
