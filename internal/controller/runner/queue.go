// Package runner is the one generic loop every plinth controller runs on: a
// de-duplicating work queue of keys, per-key exponential backoff on errors,
// and workers that call a level-based Reconcile. Work is never dropped after
// N failures: a failing key keeps being retried at the backoff cap.
package runner

import (
	"sync"
	"time"
)

// queue is a de-duplicating FIFO of keys with at most one pending deadline
// per key (see delay.go). A key added while it is being processed is
// processed again afterwards (never concurrently).
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	queued     map[string]bool
	processing map[string]bool
	dirty      map[string]bool
	closed     bool

	delayed deadlines     // pending addAfter deadlines, earliest first
	wake    chan struct{} // nudges the timer loop when the earliest deadline moves
	stopped chan struct{} // closed by close: ends the timer loop
}

func newQueue() *queue {
	q := &queue{
		queued: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{},
		delayed: newDeadlines(), wake: make(chan struct{}, 1), stopped: make(chan struct{}),
	}
	q.cond = sync.NewCond(&q.mu)
	go q.timerLoop()
	return q
}

// add enqueues key now unless it is already waiting, and drops any pending
// deadline for it: the reconcile it causes decides when it runs next.
func (q *queue) add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.delayed.remove(key)
	q.addLocked(key)
}

func (q *queue) addLocked(key string) {
	if q.closed {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.order = append(q.order, key)
	q.cond.Signal()
}

// addAfter enqueues key after d. A key has at most one pending deadline:
// an earlier one replaces a later one, a later one is ignored, so repeated
// calls never multiply the work.
func (q *queue) addAfter(key string, d time.Duration) {
	if d <= 0 {
		q.add(key)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.delayed.setEarlier(key, time.Now().Add(d)) {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// timerLoop moves keys whose deadline has passed into the queue, sleeping
// until the earliest deadline or until woken because it moved earlier.
func (q *queue) timerLoop() {
	for {
		q.mu.Lock()
		now := time.Now()
		for _, key := range q.delayed.popDue(now) {
			q.addLocked(key)
		}
		next, ok := q.delayed.earliest()
		q.mu.Unlock()
		wait := time.Hour
		if ok {
			wait = max(next.Sub(now), 0)
		}
		t := time.NewTimer(wait)
		select {
		case <-q.stopped:
			t.Stop()
			return
		case <-q.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// get blocks until a key is available or the queue is closed (ok false).
func (q *queue) get() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return "", false
	}
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.queued, key)
	q.processing[key] = true
	return key, true
}

// done marks key processed; if it was added meanwhile it is queued again.
func (q *queue) done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		delete(q.dirty, key)
		q.addLocked(key)
	}
}

func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.stopped)
	q.cond.Broadcast()
}
