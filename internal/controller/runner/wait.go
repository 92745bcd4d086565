package runner

import (
	"context"
	"errors"
	"sync"
)

// ErrStopped is returned by EnqueueAndWait when the runner stops before a
// reconcile of the key could finish.
var ErrStopped = errors.New("runner stopped")

// waiters holds the EnqueueAndWait calls of each key until a reconcile of
// that key that began after the call has finished.
type waiters struct {
	mu      sync.Mutex
	byKey   map[string][]chan error // waiting for the next reconcile to begin
	stopped bool
}

// EnqueueAndWait enqueues key and waits until a reconcile of key that
// began after this call has finished, so that reconcile saw every write
// made before the call. It returns that reconcile's error (nil on
// success; a failed reconcile is still retried by the runner as usual),
// ctx's error if ctx ends first, or ErrStopped if the runner stops first.
// It is how a request handler has its change reconciled through the
// runner, never concurrently with another reconcile of the same key.
func (r *Runner) EnqueueAndWait(ctx context.Context, key string) error {
	ch := make(chan error, 1)
	if !r.waits.add(key, ch) {
		return ErrStopped
	}
	r.Enqueue(key)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		r.waits.remove(key, ch)
		return ctx.Err()
	}
}

// reconcileAndNotify runs one reconcile of key and hands its error to the
// waiters that were registered before it began.
func (r *Runner) reconcileAndNotify(ctx context.Context, key string) (Result, error) {
	claimed := r.waits.claim(key)
	res, err := r.reconcileSafely(ctx, key)
	for _, ch := range claimed {
		ch <- err
	}
	return res, err
}

func (w *waiters) add(key string, ch chan error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	if w.byKey == nil {
		w.byKey = map[string][]chan error{}
	}
	w.byKey[key] = append(w.byKey[key], ch)
	return true
}

func (w *waiters) remove(key string, ch chan error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.byKey[key]
	for i, c := range list {
		if c == ch {
			w.byKey[key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(w.byKey[key]) == 0 {
		delete(w.byKey, key)
	}
}

// claim takes the waiters of key registered so far: the reconcile about to
// begin answers them. Each channel has room for its one answer.
func (w *waiters) claim(key string) []chan error {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.byKey[key]
	delete(w.byKey, key)
	return list
}

// stop answers every waiter with ErrStopped and refuses new ones.
func (w *waiters) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	for key, list := range w.byKey {
		for _, ch := range list {
			ch <- ErrStopped
		}
		delete(w.byKey, key)
	}
}
