package lock

import (
	"context"
	"errors"
	"github.com/plinth-storage/plinth/internal/backoff"
	"sync"
	"time"
)

// releaseTimeout bounds one delete of a lock file by Release, by a failed
// TryAcquire's cleanup, and by each background attempt.
const releaseTimeout = 30 * time.Second

// ErrReleasePending is wrapped by Release's error when the lock file could
// not be deleted now and the Locker's background releaser keeps trying.
var ErrReleasePending = errors.New("the lock file is deleted in the background as soon as the target answers")

// releaser runs the background deletes of lock files whose release
// failed: one goroutine per such file, all stopped by Locker.Close.
type releaser struct {
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending map[string]bool
	wg      sync.WaitGroup
}

func (r *releaser) init() {
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.pending = map[string]bool{}
}

// releaseLater starts deleting key in the background until it is gone or
// expires (the time after which no peer honours it). It returns false,
// and does nothing, once the Locker is closed.
func (l *Locker) releaseLater(key string, expires time.Time) bool {
	r := &l.bg
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if r.pending[key] {
		return true
	}
	r.pending[key] = true
	r.wg.Add(1)
	go l.keepReleasing(key, expires)
	return true
}

// keepReleasing retries deleting key with jittered exponential backoff
// (from CheckWait, at least 250 ms, up to a quarter of Refresh, at least
// 1 s). It stops when a delete succeeds (and removes key from the
// journal), when expires has passed (key stays in the journal, for the
// next start to remove) or when the Locker is closed.
func (l *Locker) keepReleasing(key string, expires time.Time) {
	r := &l.bg
	defer func() {
		r.mu.Lock()
		delete(r.pending, key)
		r.mu.Unlock()
		r.wg.Done()
	}()
	delay := max(l.cfg.CheckWait, 250*time.Millisecond)
	limit := max(l.cfg.Refresh/4, time.Second)
	for {
		wait := backoff.Jitter(delay)
		if time.Until(expires) < wait {
			return // expired by the next attempt: no peer honours it any more
		}
		if backoff.Sleep(r.ctx, wait) != nil {
			return
		}
		ctx, cancel := context.WithTimeout(r.ctx, min(releaseTimeout, time.Until(expires)))
		err := l.tgt.Delete(ctx, key)
		cancel()
		if err == nil {
			_ = l.journalRemove(key) // harmless if it fails: a restart deletes a missing file
			return
		}
		delay = min(delay*2, limit)
	}
}

// Pending returns the keys of the lock files the background releaser is
// still trying to delete.
func (l *Locker) Pending() []string {
	r := &l.bg
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.pending))
	for k := range r.pending {
		keys = append(keys, k)
	}
	return keys
}

// Close stops the background releaser: in-flight deletes are cancelled
// and Close returns once every background goroutine has stopped, which
// takes no longer than the target needs to notice a cancelled context.
// Lock files still pending stay in the journal and expire by themselves.
// Held locks are not released (Release them first); releases failing
// after Close are not retried. Close is safe to call more than once and
// always returns nil.
func (l *Locker) Close() error {
	r := &l.bg
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	return nil
}
