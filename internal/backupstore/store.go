package backupstore

import (
	"context"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
)

// Options tune a Store; the zero value is Longhorn's timing and a
// concurrency taken from the target's Properties.
type Options struct {
	// Lock holds the lock protocol's timings; zero means lock.DefaultConfig.
	Lock lock.Config
	// LockLinger is how long the Store keeps its type-1 (backup and
	// restore) lock after the last operation using it ended, so that the
	// next one starts at once instead of paying the lock protocol's
	// CheckWait (see lockShare). 0 means DefaultLockLinger (30 s); a
	// negative value (NoLockLinger) releases it as soon as the last
	// operation ends. While it lingers, deletes and GCs of other processes
	// on the same target back off and retry, as they do while a backup
	// runs; deletes and GCs of this Store release it first.
	LockLinger time.Duration
	// LockTimeout bounds how long an operation waits for the store lock
	// while an operation of the other kind holds it; 0 waits until ctx ends.
	LockTimeout time.Duration
	// Concurrency is the default number of block requests in flight per
	// operation; 0 means the target's Properties().Connections (at least 2).
	Concurrency int
	// KnownBlocksMaxAge lets a backup reuse the pool listing of an earlier
	// one that is at most this old. 0 (the default) lists the pool once per
	// backup, which is the only safe choice when another installation
	// (Longhorn or another plinth) may garbage-collect the same store.
	KnownBlocksMaxAge time.Duration
	// Now is the clock for cfg timestamps; nil means time.Now.
	Now func() time.Time
	// Journal, if set, records the lock files this Store writes (see
	// lock.Journal), so a restart after a crash can remove them.
	Journal lock.Journal
	// BadBlocks durably remembers blocks a verify found damaged, so that
	// backups re-upload them; nil keeps them in memory (MemBadBlocks).
	BadBlocks BadBlockRecord
}

// Store performs backup-store operations on one target.
type Store struct {
	tgt   target.Target
	opts  Options
	known *KnownBlocks
	own   ownLocks
	share lockShare
}

// New returns a Store for tgt. The Store does not own tgt: closing tgt is
// the caller's job, after Close released the Store's lingering lock.
func New(tgt target.Target, opts Options) *Store {
	if opts.Lock == (lock.Config{}) {
		opts.Lock = lock.DefaultConfig()
	}
	if opts.LockLinger == 0 {
		opts.LockLinger = DefaultLockLinger
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BadBlocks == nil {
		opts.BadBlocks = &MemBadBlocks{}
	}
	return &Store{
		tgt:   tgt,
		opts:  opts,
		known: &KnownBlocks{},
	}
}

// Target returns the target the Store works on.
func (s *Store) Target() target.Target { return s.tgt }

// Known returns the Store's set of blocks known to exist in the pool.
func (s *Store) Known() *KnownBlocks { return s.known }

// concurrency resolves a per-call override against the Store default.
func (s *Store) concurrency(override int) int {
	switch {
	case override > 0:
		return override
	case s.opts.Concurrency > 0:
		return s.opts.Concurrency
	}
	return max(2, s.tgt.Properties().Connections)
}

// acquire takes the store lock of type t with l, waiting at most
// LockTimeout. The held lock's Context is the one the operation must run
// under.
func (s *Store) acquire(ctx context.Context, l *lock.Locker, t lock.Type) (*lock.Held, time.Duration, error) {
	h, waited, err := l.Acquire(ctx, t, s.opts.LockTimeout)
	if err != nil {
		return nil, waited, fmt.Errorf("take the backing-image lock in %s: %w", format.LockDir, err)
	}
	return h, waited, nil
}

// withLock runs fn under the store lock of type t and returns how long it
// waited for the lock. fn's ctx is cancelled if the lock is lost, and the
// error then says so. Lock files of this Store's earlier operations that
// could not be removed then are removed first, so an operation never
// waits for a lock nobody holds; whatever this one cannot remove (the
// target failing) is remembered for the next.
//
// Type-1 operations (lock.Backup, lock.Restore) share one held lock of
// the Store and keep it for LockLinger after the last one ended (see
// lockShare): an operation that joins it waits for nothing. A type-2
// operation (lock.Delete) first releases the Store's idle type-1 lock and
// makes a type-1 lock still in use be released as soon as its last
// operation ends, so it never waits for its own Store's lingering lock;
// it takes a lock of its own, released when it ends.
func (s *Store) withLock(ctx context.Context, t lock.Type, fn func(ctx context.Context) error) (time.Duration, error) {
	if t != lock.Delete {
		s.clearLeftovers(ctx)
		return s.withSharedLock(ctx, fn)
	}
	s.share.mu.Lock()
	s.share.deleters++
	s.share.mu.Unlock()
	defer func() {
		s.share.mu.Lock()
		s.share.deleters--
		s.share.mu.Unlock()
	}()
	_ = s.dropIdleShared(ctx) // a failed delete is remembered and retried by clearLeftovers
	s.clearLeftovers(ctx)
	l, j := s.opLocker()
	defer s.remember(j)
	held, waited, err := s.acquire(ctx, l, t)
	if err != nil {
		return waited, err
	}
	defer held.Release(ctx)
	lctx := held.Context()
	return waited, lostErr(lctx, fn(lctx))
}

// loadComplete loads the cfg of a backup that must exist and be complete.
func (s *Store) loadComplete(ctx context.Context, name string) (*format.Config, error) {
	cfg, err := s.loadConfig(ctx, name)
	if target.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	if cfg.InProgress() {
		return nil, fmt.Errorf("%w (%s has no CompleteTime)", ErrInProgress, format.ConfigKey(name))
	}
	return cfg, nil
}
