package backupstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/lock"
)

// DefaultLockLinger is how long a Store keeps its type-1 (backup and
// restore) lock after the last operation using it ended, when
// Options.LockLinger is zero.
const DefaultLockLinger = 30 * time.Second

// NoLockLinger, as Options.LockLinger, releases the type-1 lock as soon as
// the last operation using it ends (every operation then pays the lock
// protocol's CheckWait).
const NoLockLinger time.Duration = -1

// lockShare is a Store's one shared type-1 lock: backups, restores,
// verifies, repairs and block reads of the Store all run under it, the
// first of them takes it (paying the protocol's CheckWait), the others
// join it without writing a lock file of their own, and it is kept for
// Options.LockLinger after the last one ended so that the next operation
// joins it too. The held lock is refreshed as any held lock is, so peers
// (Longhorn's and other plinths' deletes and GCs) see it as live and back
// off until it is released.
type lockShare struct {
	mu       sync.Mutex
	cur      *sharedHold  // the live lock operations join, if any
	pending  *acquisition // the acquisition in progress, if any
	deleters int          // type-2 operations of the Store running or waiting
	closed   bool
	waiting  atomic.Int32 // operations waiting for another one's acquisition (for tests)
}

// sharedHold is one held type-1 lock and the operations using it.
type sharedHold struct {
	held    *lock.Held
	journal *opJournal // the lock files its Locker wrote (see remember)
	cancel  context.CancelCauseFunc
	users   int
	gen     uint64      // bumped whenever users or the linger timer change
	timer   *time.Timer // the linger timer while users == 0
}

// acquisition is a type-1 lock being taken; other operations wait for it
// instead of taking a second lock.
type acquisition struct {
	done  chan struct{}
	err   error
	retry bool // it failed because its operation's ctx ended: waiters try themselves
}

// joinShared returns the Store's type-1 lock with the caller counted as a
// user, taking it first if there is none (or it was lost), and how long
// the caller waited. Concurrent callers share one acquisition: if it fails
// for a reason other than its own caller's ctx ending (a conflict past
// LockTimeout, the target failing), they all get its error. The caller
// must call leaveShared once done.
func (s *Store) joinShared(ctx context.Context) (*sharedHold, time.Duration, error) {
	start := time.Now()
	for {
		sh, a, mine, stale := s.pickShared()
		if stale != nil {
			_ = s.releaseShared(ctx, stale) // a lost lock: delete what is left of it
		}
		switch {
		case sh != nil:
			return sh, time.Since(start), nil
		case !mine:
			s.share.waiting.Add(1)
			select {
			case <-a.done:
				s.share.waiting.Add(-1)
			case <-ctx.Done():
				s.share.waiting.Add(-1)
				return nil, time.Since(start), fmt.Errorf("waiting for the backing-image lock in another operation's acquisition: %w", context.Cause(ctx))
			}
			if a.err != nil && !a.retry {
				return nil, time.Since(start), a.err
			}
			continue
		}
		sh, retry, err := s.acquireShared(ctx)
		s.share.mu.Lock()
		s.share.pending = nil
		if err == nil {
			sh.users = 1
			s.share.cur = sh
		}
		s.share.mu.Unlock()
		a.err, a.retry = err, retry
		close(a.done)
		return sh, time.Since(start), err
	}
}

// pickShared looks at the share under its mutex: it returns the live lock
// with the caller counted as a user, or the acquisition in progress to
// wait for, or a new acquisition the caller must run (mine). A lock found
// lost and unused is detached and returned as stale for the caller to
// release; a lost one still in use is detached and released by its last
// user.
func (s *Store) pickShared() (sh *sharedHold, a *acquisition, mine bool, stale *sharedHold) {
	s.share.mu.Lock()
	defer s.share.mu.Unlock()
	if cur := s.share.cur; cur != nil {
		if cur.held.Context().Err() == nil {
			cur.users++
			cur.stopLinger()
			return cur, nil, false, nil
		}
		s.share.cur = nil
		if cur.users == 0 {
			cur.stopLinger()
			stale = cur
		}
	}
	if s.share.pending != nil {
		return nil, s.share.pending, false, stale
	}
	s.share.pending = &acquisition{done: make(chan struct{})}
	return nil, s.share.pending, true, stale
}

// stopLinger stops the linger timer; a timer callback already waiting for
// the mutex sees the changed gen and does nothing. share.mu is held.
func (sh *sharedHold) stopLinger() {
	sh.gen++
	if sh.timer != nil {
		sh.timer.Stop()
		sh.timer = nil
	}
}

// acquireShared takes a type-1 lock whose life is not bound to ctx (it
// outlives the operation), while ctx still bounds the wait for it. retry
// reports that it failed because ctx ended.
func (s *Store) acquireShared(ctx context.Context) (*sharedHold, bool, error) {
	l, j := s.opLocker()
	actx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	held, _, err := s.acquire(actx, l, lock.Backup)
	if !stop() { // ctx ended during the acquisition
		if err == nil {
			_ = held.Release(actx)
			err = fmt.Errorf("take the backing-image lock: %w", context.Cause(ctx))
		}
		cancel(nil)
		s.remember(j)
		return nil, true, err
	}
	if err != nil {
		cancel(nil)
		s.remember(j)
		return nil, false, err
	}
	return &sharedHold{held: held, journal: j, cancel: cancel}, false, nil
}

// leaveShared ends the caller's use of sh. The last user releases it at
// once if it was lost or detached, the Store is closed, a type-2
// operation of the Store waits, or LockLinger is negative; otherwise it
// lingers for LockLinger and is released then unless another operation
// joined it meanwhile.
func (s *Store) leaveShared(ctx context.Context, sh *sharedHold) {
	s.share.mu.Lock()
	sh.users--
	if sh.users > 0 {
		s.share.mu.Unlock()
		return
	}
	now := s.share.cur != sh || s.share.closed || s.share.deleters > 0 || s.opts.LockLinger < 0 || sh.held.Context().Err() != nil
	if now {
		if s.share.cur == sh {
			s.share.cur = nil
		}
		s.share.mu.Unlock()
		_ = s.releaseShared(ctx, sh)
		return
	}
	sh.gen++
	gen := sh.gen
	sh.timer = time.AfterFunc(s.opts.LockLinger, func() { s.lingerEnded(sh, gen) })
	s.share.mu.Unlock()
}

// lingerEnded releases sh if nobody joined it since its linger began.
func (s *Store) lingerEnded(sh *sharedHold, gen uint64) {
	s.share.mu.Lock()
	if s.share.cur != sh || sh.users > 0 || sh.gen != gen {
		s.share.mu.Unlock()
		return
	}
	s.share.cur = nil
	sh.timer = nil
	s.share.mu.Unlock()
	_ = s.releaseShared(context.Background(), sh)
}

// dropIdleShared releases the Store's type-1 lock now if no operation
// uses it, so that a type-2 operation of the same Store does not wait for
// its own lingering lock.
func (s *Store) dropIdleShared(ctx context.Context) error {
	s.share.mu.Lock()
	sh := s.share.cur
	if sh == nil || sh.users > 0 {
		s.share.mu.Unlock()
		return nil
	}
	s.share.cur = nil
	sh.stopLinger()
	s.share.mu.Unlock()
	return s.releaseShared(ctx, sh)
}

// releaseShared releases sh's lock and records the lock files its Locker
// could not delete, for the next operation to remove first.
func (s *Store) releaseShared(ctx context.Context, sh *sharedHold) error {
	err := sh.held.Release(ctx)
	sh.cancel(context.Canceled)
	s.remember(sh.journal)
	return err
}

// withSharedLock runs fn under the Store's shared type-1 lock (see
// lockShare). fn's ctx is cancelled with the lock's cause (lock.ErrLost)
// if the lock is lost, for every operation using it.
func (s *Store) withSharedLock(ctx context.Context, fn func(ctx context.Context) error) (time.Duration, error) {
	sh, waited, err := s.joinShared(ctx)
	if err != nil {
		return waited, err
	}
	defer s.leaveShared(ctx, sh)
	hctx := sh.held.Context()
	octx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(hctx, func() { cancel(context.Cause(hctx)) })
	defer stop()
	return waited, lostErr(octx, fn(octx))
}

// lostErr says that the operation stopped because its lock was lost, if
// that is why ctx ended and err does not say so yet.
func lostErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, lock.ErrLost) && !errors.Is(err, lock.ErrLost) {
		return fmt.Errorf("%w; the operation stopped: %w", cause, err)
	}
	return err
}

// Close releases the Store's lingering type-1 lock now, if no operation
// uses it; one still in use is released when its last operation ends.
// Operations after Close still work, but release their lock at once. It
// returns the release's error (wrapping lock.ErrReleasePending when the
// lock file is deleted in the background); the lock file then expires by
// itself if the target stays unreachable. Call it before closing the
// target. It does not close the target.
func (s *Store) Close(ctx context.Context) error {
	s.share.mu.Lock()
	s.share.closed = true
	s.share.mu.Unlock()
	return s.dropIdleShared(ctx)
}

// lockIsWarm reports whether the Store holds a live type-1 lock that an
// operation starting now would join without the lock protocol's wait.
func (s *Store) lockIsWarm() bool {
	s.share.mu.Lock()
	defer s.share.mu.Unlock()
	return s.share.cur != nil && s.share.cur.held.Context().Err() == nil
}
