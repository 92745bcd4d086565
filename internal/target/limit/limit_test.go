package limit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/limit"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

func TestConformance(t *testing.T) {
	targettest.Run(t, func(*testing.T) target.Target { return limit.Wrap(mem.New(), 2) })
}

func TestDefaultIsConnections(t *testing.T) {
	m := mem.New()
	if got, want := limit.Wrap(m, 0).Limit(), m.Properties().Connections; got != want {
		t.Fatalf("default limit = %d, want Properties().Connections = %d", got, want)
	}
}

// TestCapsConcurrency counts calls inside the wrapped target while 20
// goroutines hammer a limit of 3.
func TestCapsConcurrency(t *testing.T) {
	f := faulty.Wrap(mem.New())
	var inside, peak atomic.Int32
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Match: func(string, string) bool {
		n := inside.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inside.Add(-1)
		return false // observe only; never fail
	}})
	l := limit.Wrap(f, 3)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := l.Put(context.Background(), "k", []byte{byte(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p < 2 || p > 3 {
		t.Fatalf("peak concurrent calls = %d, want 2..3 with a limit of 3", p)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	m := mem.New()
	if err := m.Put(context.Background(), "d/1", nil); err != nil {
		t.Fatal(err)
	}
	l := limit.Wrap(m, 1)
	// Walk's callback re-enters the target: the slot must be free while
	// fn runs, so this neither deadlocks nor fails.
	err := l.Walk(context.Background(), "d", func(e target.Entry) error {
		return l.Delete(context.Background(), e.Key)
	})
	if err != nil {
		t.Fatalf("re-entrant Walk: %v", err)
	}
	// Hold the only slot from inside a listing's driver phase by blocking
	// in a rule, then check a second caller gives up with its ctx.
	f := faulty.Wrap(m)
	block, entered := make(chan struct{}), make(chan struct{})
	f.Add(faulty.Rule{Ops: []string{target.OpGet}, Match: func(string, string) bool {
		close(entered)
		<-block
		return false
	}})
	l = limit.Wrap(f, 1)
	go func() { _, _ = l.Get(context.Background(), "x") }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = l.Check(ctx)
	close(block)
	if !errors.Is(err, context.DeadlineExceeded) || target.IsTransient(err) {
		t.Fatalf("Check while the slot is taken = %v, want a non-transient deadline error", err)
	}
}
