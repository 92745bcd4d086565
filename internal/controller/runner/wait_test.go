package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// A reconcile already under way when EnqueueAndWait is called does not
// answer it: only one that began after the call, and so saw its write.
func TestEnqueueAndWaitWaitsForAReconcileThatBeganAfterTheCall(t *testing.T) {
	var mu sync.Mutex
	desired, observed := 0, 0
	firstStarted, releaseFirst := make(chan struct{}), make(chan struct{})
	blockerStarted, releaseBlocker := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		if key == "blocker" {
			close(blockerStarted)
			<-releaseBlocker
			return Result{}, nil
		}
		mu.Lock()
		seen := desired
		mu.Unlock()
		if runs.Add(1) == 1 {
			close(firstStarted)
			<-releaseFirst
		}
		mu.Lock()
		observed = seen
		mu.Unlock()
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 1)
	r.Enqueue("k")
	<-firstStarted // a reconcile that read the old desired state is running

	mu.Lock()
	desired = 1
	mu.Unlock()
	returned := make(chan error, 1)
	go func() { returned <- r.EnqueueAndWait(ctx, "k") }()
	waitFor(t, "the waiter registered", func() bool {
		r.waits.mu.Lock()
		defer r.waits.mu.Unlock()
		return len(r.waits.byKey["k"]) == 1
	})
	r.Enqueue("blocker") // queued before k's next run: it holds the only worker in between
	close(releaseFirst)
	<-blockerStarted
	r.waits.mu.Lock()
	waiting := len(r.waits.byKey["k"])
	r.waits.mu.Unlock()
	if waiting != 1 {
		t.Fatalf("the end of a reconcile begun before EnqueueAndWait answered it")
	}
	close(releaseBlocker)
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("EnqueueAndWait never returned")
	}
	mu.Lock()
	defer mu.Unlock()
	if observed != 1 {
		t.Fatalf("EnqueueAndWait returned before a reconcile saw the write (observed %d)", observed)
	}
}

func TestEnqueueAndWaitReturnsTheReconcileError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		if calls.Add(1) == 1 {
			return Result{}, boom
		}
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 1)
	if err := r.EnqueueAndWait(ctx, "k"); !errors.Is(err, boom) {
		t.Fatalf("first wait: %v, want boom", err)
	}
	if err := r.EnqueueAndWait(ctx, "k"); err != nil {
		t.Fatalf("second wait: %v", err)
	}
}

func TestEnqueueAndWaitEndsWithItsContextOrTheRunner(t *testing.T) {
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) { return Result{}, nil }), quiet)
	wctx, wcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer wcancel()
	if err := r.EnqueueAndWait(wctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("not running, ctx ends: %v", err)
	}
	if n := len(r.waits.byKey); n != 0 {
		t.Fatalf("%d keys still hold waiters after their contexts ended", n)
	}

	block := make(chan struct{})
	r2 := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		<-block
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r2.Run(ctx, 1); close(stopped) }()
	r2.Enqueue("busy") // the only worker is held by "busy"
	returned := make(chan error, 1)
	go func() { returned <- r2.EnqueueAndWait(context.Background(), "k") }()
	waitFor(t, "the waiter registered", func() bool {
		r2.waits.mu.Lock()
		defer r2.waits.mu.Unlock()
		return len(r2.waits.byKey["k"]) == 1
	})
	cancel()
	waitFor(t, "the queue closed", func() bool {
		r2.q.mu.Lock()
		defer r2.q.mu.Unlock()
		return r2.q.closed
	})
	close(block) // "k" is never reconciled: the queue closed first
	<-stopped
	if err := <-returned; !errors.Is(err, ErrStopped) {
		t.Fatalf("runner stopped: %v, want ErrStopped", err)
	}
	if err := r2.EnqueueAndWait(context.Background(), "k"); !errors.Is(err, ErrStopped) {
		t.Fatalf("after stop: %v, want ErrStopped", err)
	}
}

// waitFor waits until cond holds (testenv.Eventually), failing the test
// after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, what, func() (bool, string) { return cond(), "" })
}
