package runner

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Result tells the runner what to do with a key after a successful
// Reconcile: RequeueAfter > 0 polls it again after that long.
type Result struct {
	RequeueAfter time.Duration
}

// Reconciler converges the object named by key towards its desired state.
// It must be idempotent and level-based: it reads the current state every
// time and never relies on the event that woke it. A returned error means
// "retry with backoff"; errors wrapping ErrPermanent are logged and not
// retried (the reconciler must have recorded them on the object).
type Reconciler interface {
	Reconcile(ctx context.Context, key string) (Result, error)
}

// ErrPermanent marks an error that retrying cannot fix.
var ErrPermanent = errors.New("permanent")

// Backoff bounds for failing keys.
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Runner feeds keys to a Reconciler from a de-duplicating queue.
type Runner struct {
	name string
	rec  Reconciler
	q    *queue
	log  *slog.Logger
	// metrics counts reconciles when set (see Metrics.Instrument).
	metrics atomic.Pointer[Metrics]

	mu       sync.Mutex
	failures map[string]int
	waits    waiters // EnqueueAndWait calls (wait.go)
}

// New returns a runner named name (used in logs) for rec.
func New(name string, rec Reconciler, log *slog.Logger) *Runner {
	return &Runner{name: name, rec: rec, q: newQueue(), log: log.With("controller", name), failures: map[string]int{}}
}

// Enqueue asks for key to be reconciled soon; it replaces any pending
// EnqueueAfter deadline of key (the reconcile decides when it runs next).
func (r *Runner) Enqueue(key string) { r.q.add(key) }

// EnqueueAfter asks for key to be reconciled after d. A key has at most
// one pending deadline, the earliest asked for, so repeated calls (and
// RequeueAfter results) never multiply its reconciles.
func (r *Runner) EnqueueAfter(key string, d time.Duration) { r.q.addAfter(key, d) }

// Run starts workers and blocks until ctx is done.
func (r *Runner) Run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx)
		}()
	}
	<-ctx.Done()
	r.q.close()
	wg.Wait()
	r.waits.stop()
}

func (r *Runner) work(ctx context.Context) {
	for {
		key, ok := r.q.get()
		if !ok {
			return
		}
		res, err := r.reconcileAndNotify(ctx, key)
		r.metrics.Load().count(r.name, res, err)
		r.q.done(key)
		r.after(ctx, key, res, err)
	}
}

func (r *Runner) reconcileSafely(ctx context.Context, key string) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("reconcile panicked", "key", key, "panic", p)
			err = errors.New("reconcile panicked")
		}
	}()
	return r.rec.Reconcile(ctx, key)
}

func (r *Runner) after(ctx context.Context, key string, res Result, err error) {
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		delete(r.failures, key)
		if res.RequeueAfter > 0 {
			r.q.addAfter(key, res.RequeueAfter)
		}
	case errors.Is(err, ErrPermanent):
		delete(r.failures, key)
		r.log.Warn("reconcile failed permanently", "key", key, "err", err)
	default:
		n := r.failures[key]
		r.failures[key] = n + 1
		d := minBackoff << min(n, 10)
		if d > maxBackoff {
			d = maxBackoff
		}
		r.log.Debug("reconcile failed; retrying", "key", key, "err", err, "after", d)
		r.q.addAfter(key, d)
	}
}
