package runner

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// Periodic work must not multiply: each external Enqueue of a key that polls
// itself with RequeueAfter used to start one more timer chain, so after 20
// enqueues the key was reconciled 20 times per period instead of once.
func TestRequeueAfterDoesNotMultiply(t *testing.T) {
	const period = 100 * time.Millisecond
	var calls atomic.Int64
	r := New("t", recFunc(func(ctx context.Context, key string) (Result, error) {
		calls.Add(1)
		return Result{RequeueAfter: period}, nil
	}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 2)
	for i := 0; i < 20; i++ {
		before := calls.Load()
		r.Enqueue("k")
		testenv.Eventually(t, 5*time.Second, "enqueue reconciled", func() (bool, string) {
			return calls.Load() > before, fmt.Sprint(calls.Load())
		})
	}
	start, n0 := time.Now(), calls.Load()
	time.Sleep(time.Second) // the measurement window itself, not a wait for a condition
	rate := float64(calls.Load()-n0) / time.Since(start).Seconds()
	// One chain gives ~10/s; twenty chains gave ~200/s.
	if rate > 20 {
		t.Fatalf("key reconciled %.0f times/s with RequeueAfter %s; want about %.0f/s", rate, period, float64(time.Second/period))
	}
	if rate < 3 {
		t.Fatalf("key reconciled %.1f times/s; periodic requeue lost", rate)
	}
}

func TestAddAfterEarliestWins(t *testing.T) {
	q := newQueue()
	defer q.close()
	q.addAfter("k", time.Hour)
	q.addAfter("k", 20*time.Millisecond)
	q.addAfter("k", time.Hour) // later: ignored
	got := make(chan string, 1)
	go func() { k, _ := q.get(); got <- k }()
	select {
	case k := <-got:
		if k != "k" {
			t.Fatalf("got key %q", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("earlier deadline did not replace the later one")
	}
	q.mu.Lock()
	pending := q.delayed.len()
	q.mu.Unlock()
	if pending != 0 {
		t.Fatalf("%d deadlines still pending after the key fired, want 0", pending)
	}
}

func TestAddOverridesPendingDeadline(t *testing.T) {
	q := newQueue()
	defer q.close()
	q.addAfter("k", 30*time.Millisecond)
	q.add("k")
	if k, _ := q.get(); k != "k" {
		t.Fatalf("got key %q", k)
	}
	q.done("k")
	q.mu.Lock()
	pending := q.delayed.len()
	q.mu.Unlock()
	if pending != 0 {
		t.Fatalf("immediate add left %d pending deadlines, want 0", pending)
	}
}

func TestDeadlinesOrderManyKeys(t *testing.T) {
	d := newDeadlines()
	base := time.Now()
	for i := 9; i >= 0; i-- {
		d.setEarlier(fmt.Sprint(i), base.Add(time.Duration(i)*time.Second))
	}
	d.remove("5")
	got := d.popDue(base.Add(time.Hour))
	want := "[0 1 2 3 4 6 7 8 9]"
	if fmt.Sprint(got) != want {
		t.Fatalf("popDue = %v, want %s", got, want)
	}
}
