package backupstore

import (
	"context"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
)

// ownLocks remembers the lock files this Store's finished operations
// could not remove (the target failed at that moment), so the next
// operation removes them before it takes its own lock instead of waiting
// up to the lock expiry for a lock nobody holds any more.
type ownLocks struct {
	mu       sync.Mutex
	leftover map[string]struct{}
}

// opJournal records the lock files one operation writes and forwards to
// the Store's journal. Keys added and never removed are the operation's
// leftovers once it has finished.
type opJournal struct {
	next lock.Journal
	mu   sync.Mutex
	keys map[string]struct{}
}

var _ lock.Journal = (*opJournal)(nil)

// Add records key once the Store's journal (if any) has saved it; a save
// error is returned, so the lock is not taken (lock.Journal's contract).
func (j *opJournal) Add(key string) error {
	if j.next != nil {
		if err := j.next.Add(key); err != nil {
			return err
		}
	}
	j.mu.Lock()
	j.keys[key] = struct{}{}
	j.mu.Unlock()
	return nil
}

// Remove forgets key (its lock file is gone) and forwards to the Store's
// journal, returning its save error.
func (j *opJournal) Remove(key string) error {
	j.mu.Lock()
	delete(j.keys, key)
	j.mu.Unlock()
	if j.next != nil {
		return j.next.Remove(key)
	}
	return nil
}

// opLocker returns a Locker for one operation and its journal.
func (s *Store) opLocker() (*lock.Locker, *opJournal) {
	j := &opJournal{next: s.opts.Journal, keys: map[string]struct{}{}}
	l := lock.New(s.tgt, format.LockDir, s.opts.Lock)
	l.SetJournal(j)
	return l, j
}

// remember records the lock files a finished operation left behind.
func (s *Store) remember(j *opJournal) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.keys) == 0 {
		return
	}
	s.own.mu.Lock()
	defer s.own.mu.Unlock()
	if s.own.leftover == nil {
		s.own.leftover = map[string]struct{}{}
	}
	for k := range j.keys {
		s.own.leftover[k] = struct{}{}
	}
}

// clearLeftovers removes the lock files earlier operations of this Store
// left behind; those it cannot remove now are kept for the next try (they
// also expire by themselves).
func (s *Store) clearLeftovers(ctx context.Context) {
	s.own.mu.Lock()
	keys := make([]string, 0, len(s.own.leftover))
	for k := range s.own.leftover {
		keys = append(keys, k)
	}
	s.own.mu.Unlock()
	for _, key := range keys {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.tgt.Delete(dctx, key)
		cancel()
		if err != nil && !target.IsNotFound(err) {
			continue
		}
		s.own.mu.Lock()
		delete(s.own.leftover, key)
		s.own.mu.Unlock()
		if s.opts.Journal != nil {
			_ = s.opts.Journal.Remove(key) // a stale journal entry is harmless: the next start finds the file gone
		}
	}
}

// Leftovers is the number of this Store's own lock files that could not be
// removed yet (for tests and metrics).
func (s *Store) Leftovers() int {
	s.own.mu.Lock()
	defer s.own.mu.Unlock()
	return len(s.own.leftover)
}
