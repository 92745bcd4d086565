package targettest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

const workers = 8

// testConcurrent runs puts, gets, stats and deletes from 8 goroutines, on
// keys of their own and on one shared key.
func testConcurrent(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	shared := make([][]byte, workers)
	for i := range shared {
		shared[i] = payload(uint64(100+i), 32<<10)
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { errs <- concurrentWorker(ctx, tg, w, shared) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, tg, false, "c")
	if len(got) != workers+1 {
		t.Fatalf("List(c) after concurrent work = %v, want %d worker dirs and the shared key", sortedKeys(got), workers)
	}
	for w := range workers {
		keys := collect(t, tg, true, fmt.Sprintf("c/g%d", w))
		if len(keys) != 2 {
			t.Fatalf("worker %d left %v, want its 2 kept keys", w, sortedKeys(keys))
		}
	}
}

func concurrentWorker(ctx context.Context, tg target.Target, w int, shared [][]byte) error {
	for j := range 4 {
		key := fmt.Sprintf("c/g%d/k%d", w, j)
		data := payload(uint64(w*100+j), 16<<10+w*j)
		if err := tg.Put(ctx, key, data); err != nil {
			return fmt.Errorf("worker %d: Put %s: %w", w, key, err)
		}
		if err := tg.Put(ctx, "c/shared", shared[w]); err != nil {
			return fmt.Errorf("worker %d: Put shared: %w", w, err)
		}
		got, err := tg.Get(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			return fmt.Errorf("worker %d: Get %s: %d bytes, err %v; want its %d bytes", w, key, len(got), err, len(data))
		}
		if e, err := tg.Stat(ctx, key); err != nil || e.Size != int64(len(data)) {
			return fmt.Errorf("worker %d: Stat %s = %+v, %v", w, key, e, err)
		}
		got, err = tg.Get(ctx, "c/shared")
		if err != nil || !oneOf(got, shared) {
			return fmt.Errorf("worker %d: Get shared: %d bytes, err %v; want one whole written version", w, len(got), err)
		}
		if j%2 == 1 {
			if err := tg.Delete(ctx, key); err != nil {
				return fmt.Errorf("worker %d: Delete %s: %w", w, key, err)
			}
		}
	}
	return nil
}

func oneOf(got []byte, versions [][]byte) bool {
	for _, v := range versions {
		if bytes.Equal(got, v) {
			return true
		}
	}
	return false
}

// testAtomicOverwrite overwrites one key repeatedly while readers check
// that every Get returns one whole version, never a prefix or a mix.
func testAtomicOverwrite(t *testing.T, tg target.Target) {
	ctx := ctxOf(t)
	versions := [][]byte{payload(11, 300<<10), payload(12, 200<<10+3)}
	mustPut(t, tg, "atomic/k", versions[0])
	done := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				got, err := tg.Get(ctx, "atomic/k")
				if err != nil || !oneOf(got, versions) {
					errs <- fmt.Errorf("Get during overwrite: %d bytes, err %v; want one whole version", len(got), err)
					return
				}
			}
		})
	}
	for i := range 12 {
		if err := tg.Put(ctx, "atomic/k", versions[i%2]); err != nil {
			close(done)
			wg.Wait()
			t.Fatalf("Put: %v", err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mustGet(t, tg, "atomic/k", versions[1])
}

// testCanceled checks every method returns a ctx error, not classified
// transient, when ctx is already done.
func testCanceled(t *testing.T, tg target.Target) {
	mustPut(t, tg, "cx/k", []byte("data"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	noop := func(target.Entry) error { return nil }
	calls := map[string]func() error{
		"Put":    func() error { return tg.Put(ctx, "cx/new", []byte("x")) },
		"Get":    func() error { _, err := tg.Get(ctx, "cx/k"); return err },
		"Stat":   func() error { _, err := tg.Stat(ctx, "cx/k"); return err },
		"List":   func() error { return tg.List(ctx, "cx", noop) },
		"Walk":   func() error { return tg.Walk(ctx, "", noop) },
		"Delete": func() error { return tg.Delete(ctx, "cx/k") },
		"Check":  func() error { return tg.Check(ctx) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s with a canceled ctx = %v, want an error wrapping context.Canceled", name, err)
		}
		if target.IsTransient(err) {
			t.Fatalf("%s with a canceled ctx is classified transient; retries would not stop", name)
		}
	}
	mustGet(t, tg, "cx/k", []byte("data"))
}
