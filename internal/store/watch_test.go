package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// eventLog collects what a watch delivers.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) { l.mu.Lock(); l.events = append(l.events, e); l.mu.Unlock() }

func (l *eventLog) snapshot() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// breakableOpener opens real etcd watches and lets the test break the
// current one, as a lost leader or a server-side cancel would.
type breakableOpener struct {
	cli    *clientv3.Client
	mu     sync.Mutex
	cancel context.CancelFunc
	opened int
}

func (b *breakableOpener) open(ctx context.Context, rev int64) clientv3.WatchChan {
	sctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.cancel, b.opened = cancel, b.opened+1
	b.mu.Unlock()
	return etcdOpener(b.cli)(sctx, rev)
}

func (b *breakableOpener) breakStream() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cancel()
	return b.opened
}

func (b *breakableOpener) openedCount() int { b.mu.Lock(); defer b.mu.Unlock(); return b.opened }

// A broken watch resumes from the revision after the last one it
// delivered: changes made while it was down arrive once, in order, and
// nothing is relisted.
func TestWatchResumesAfterBreakWithoutLossOrDuplicates(t *testing.T) {
	b := NewTestBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	op := &breakableOpener{cli: b.Client}
	var log eventLog
	w := &watcher{open: op.open, fn: log.add, backoff: watchBackoff{min: 20 * time.Millisecond, max: 200 * time.Millisecond, resetAfter: time.Hour}}
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx, 0) }()

	const breaks, perRound = 5, 10
	var want []Event
	put := func(i int) {
		name := fmt.Sprintf("n%03d", i)
		if _, err := b.Client.Put(ctx, Prefix+"things/"+name, "v"); err != nil {
			t.Fatal(err)
		}
		want = append(want, Event{Kind: "things", Name: name})
	}
	testenv.Eventually(t, 10*time.Second, "first watch open", func() (bool, string) { return op.openedCount() == 1, "" })
	// Wait for the first stream to be established before writing.
	put(0)
	testenv.Eventually(t, 10*time.Second, "first event", func() (bool, string) { return len(log.snapshot()) == 1, "" })
	for r := 0; r < breaks; r++ {
		opened := op.breakStream()
		for i := 0; i < perRound; i++ { // written while the watch is down or restarting
			put(1 + r*perRound + i)
		}
		testenv.Eventually(t, 10*time.Second, "watch restarted", func() (bool, string) {
			return op.openedCount() > opened, fmt.Sprint(op.openedCount())
		})
	}
	testenv.Eventually(t, 10*time.Second, "all events delivered", func() (bool, string) {
		n := len(log.snapshot())
		return n >= len(want), fmt.Sprintf("%d of %d", n, len(want))
	})
	cancel()
	<-done
	got := log.snapshot()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events after %d breaks:\n got %v\nwant %v", breaks, got, want)
	}
	if w.restarts != breaks {
		t.Fatalf("watch restarted %d times for %d breaks", w.restarts, breaks)
	}
}

// A watch that keeps failing at once must back off, not spin.
func TestWatchBacksOffWhenItKeepsBreaking(t *testing.T) {
	b := NewTestBackend(t)
	cli := b.Client
	// A closed client fails every watch at once: the channel is closed on return.
	dead, err := clientv3.New(clientv3.Config{Endpoints: cli.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dead.Close()
	var log eventLog
	w := &watcher{open: etcdOpener(dead), fn: log.add, backoff: defaultWatchBackoff}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w.run(ctx, 0)
	// 100 ms doubling, with jitter down to half: at most 50+100+200+400 ms
	// of waits fit in a second, so at most 4 restarts.
	if w.restarts > 4 || w.restarts < 1 {
		t.Fatalf("a watch failing at once restarted %d times in 1s; want 1..4 (backoff from 100 ms)", w.restarts)
	}
	for _, e := range log.snapshot() {
		if e == (Event{}) {
			t.Fatal("a broken (not compacted) watch asked for a relist")
		}
	}
}

// Only a compacted revision makes the watch ask for a relist; it then
// continues from the oldest revision etcd keeps, losing nothing after it.
func TestWatchResyncsOnlyWhenCompacted(t *testing.T) {
	b := NewTestBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var revs []int64
	for _, n := range []string{"a", "b", "c"} {
		resp, err := b.Client.Put(ctx, Prefix+"things/"+n, "v")
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, resp.Header.Revision)
	}
	if _, err := b.Client.Compact(ctx, revs[2]); err != nil {
		t.Fatal(err)
	}
	var log eventLog
	done := make(chan struct{})
	go func() { defer close(done); Watch(ctx, b.Client, revs[0], log.add) }()
	testenv.Eventually(t, 10*time.Second, "resync and c", func() (bool, string) {
		return len(log.snapshot()) >= 2, fmt.Sprint(log.snapshot())
	})
	if _, err := b.Client.Put(ctx, Prefix+"things/d", "v"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "event d", func() (bool, string) {
		return len(log.snapshot()) >= 3, fmt.Sprint(log.snapshot())
	})
	cancel()
	<-done
	want := []Event{{}, {Kind: "things", Name: "c"}, {Kind: "things", Name: "d"}}
	if got := log.snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
}
