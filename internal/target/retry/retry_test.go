package retry_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/target/retry"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

var fast = retry.Options{MaxAttempts: 4, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

func TestConformance(t *testing.T) {
	targettest.Run(t, func(*testing.T) target.Target { return retry.Wrap(mem.New(), fast) })
}

func TestRetriesTransientOnly(t *testing.T) {
	f := faulty.Wrap(mem.New())
	r := retry.Wrap(f, fast)
	ctx := context.Background()

	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Times: 3, Kind: target.KindTransient})
	if err := r.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Put with 3 transient failures and 4 attempts: %v", err)
	}
	if n := f.Calls(target.OpPut); n != 4 {
		t.Fatalf("Put made %d calls, want 4", n)
	}

	f.Add(faulty.Rule{Ops: []string{target.OpGet}, Kind: target.KindTransient})
	if _, err := r.Get(ctx, "k"); !target.IsTransient(err) || f.Calls(target.OpGet) != 4 {
		t.Fatalf("Get always failing: %v after %d calls, want a transient error after 4", err, f.Calls(target.OpGet))
	}

	f.Add(faulty.Rule{Ops: []string{target.OpDelete}, Kind: target.KindPermanent})
	if err := r.Delete(ctx, "k"); !target.IsPermanent(err) || f.Calls(target.OpDelete) != 1 {
		t.Fatalf("Delete with a permanent error: %v after %d calls, want 1 call", err, f.Calls(target.OpDelete))
	}
	if _, err := r.Stat(ctx, "missing"); !target.IsNotFound(err) || f.Calls(target.OpStat) != 1 {
		t.Fatalf("Stat of a missing key: %v after %d calls, want not-found after 1", err, f.Calls(target.OpStat))
	}
}

func TestHonoursContext(t *testing.T) {
	f := faulty.Wrap(mem.New())
	f.FailOp(target.OpCheck, target.KindTransient)
	r := retry.Wrap(f, retry.Options{MaxAttempts: 100, InitialDelay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.Check(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || target.IsTransient(err) {
		t.Fatalf("Check = %v, want a non-transient deadline error", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("Check waited %v despite the deadline", time.Since(start))
	}
}

func TestMaxElapsed(t *testing.T) {
	f := faulty.Wrap(mem.New())
	f.FailOp(target.OpCheck, target.KindTransient)
	r := retry.Wrap(f, retry.Options{MaxAttempts: 1000, InitialDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 100 * time.Millisecond})
	if err := r.Check(context.Background()); !target.IsTransient(err) {
		t.Fatalf("Check = %v, want the last transient error", err)
	}
	if n := f.Calls(target.OpCheck); n < 2 || n > 12 {
		t.Fatalf("Check made %d calls within a 100 ms budget of 10-20 ms delays", n)
	}
}

// TestListResumesWithoutDuplicates checks a listing that fails part way is
// retried and every entry still reaches fn exactly once.
func TestListResumesWithoutDuplicates(t *testing.T) {
	m := mem.New()
	ctx := context.Background()
	for _, k := range []string{"d/1", "d/2", "d/3", "d/4"} {
		if err := m.Put(ctx, k, nil); err != nil {
			t.Fatal(err)
		}
	}
	f := faulty.Wrap(m)
	f.Add(faulty.Rule{Ops: []string{target.OpWalk}, Entries: 2, Times: 1})
	var got []string
	err := retry.Wrap(f, fast).Walk(ctx, "d", func(e target.Entry) error { got = append(got, e.Key); return nil })
	if err != nil || !slices.Equal(got, []string{"d/1", "d/2", "d/3", "d/4"}) {
		t.Fatalf("Walk = %v, %v; want each key once", got, err)
	}
}

func TestCallbackErrorNotRetried(t *testing.T) {
	m := mem.New()
	if err := m.Put(context.Background(), "d/1", nil); err != nil {
		t.Fatal(err)
	}
	f := faulty.Wrap(m)
	stop := errors.New("stop") // unclassified, so it looks transient
	calls := 0
	err := retry.Wrap(f, fast).List(context.Background(), "d", func(target.Entry) error { calls++; return stop })
	if err != stop || calls != 1 || f.Calls(target.OpList) != 1 {
		t.Fatalf("List = %v after %d fn calls and %d list calls; want fn's error as is, once", err, calls, f.Calls(target.OpList))
	}
}
