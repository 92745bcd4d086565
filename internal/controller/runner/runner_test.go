package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type recFunc func(ctx context.Context, key string) (Result, error)

func (f recFunc) Reconcile(ctx context.Context, key string) (Result, error) { return f(ctx, key) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRetriesUntilSuccessNeverDrops(t *testing.T) {
	var calls atomic.Int32
	done := make(chan struct{})
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		if calls.Add(1) < 6 {
			return Result{}, errors.New("transient")
		}
		close(done)
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 2)
	r.Enqueue("k")
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("key dropped after %d failures", calls.Load())
	}
}

func TestNoConcurrentReconcileOfOneKey(t *testing.T) {
	var active, maxActive, total atomic.Int32
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		n := active.Add(1)
		if n > maxActive.Load() {
			maxActive.Store(n)
		}
		time.Sleep(10 * time.Millisecond)
		active.Add(-1)
		total.Add(1)
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 4)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); r.Enqueue("same") }()
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond)
	if maxActive.Load() != 1 {
		t.Fatalf("key reconciled %d times concurrently, want 1", maxActive.Load())
	}
	if total.Load() < 1 || total.Load() > 50 {
		t.Fatalf("total reconciles = %d", total.Load())
	}
}

func TestPanicIsRetried(t *testing.T) {
	var calls atomic.Int32
	done := make(chan struct{})
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		close(done)
		return Result{}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 1)
	r.Enqueue("k")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("panicking key not retried")
	}
}
