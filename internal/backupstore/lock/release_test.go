package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/testenv"
)

func newJournal() *recordingJournal { return &recordingJournal{keys: map[string]bool{}} }

func (j *recordingJournal) has(key string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.keys[key]
}

func (j *recordingJournal) size() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.keys)
}

// serverDown makes every delete of a lock file fail as a refused
// connection, until ft.Reset.
func serverDown(ft *faulty.Target) {
	ft.Add(faulty.Rule{Ops: []string{target.OpDelete}, Prefix: dir, Kind: target.KindTransient, Err: syscall.ECONNREFUSED})
}

// waitGone waits until key is deleted from tgt and j no longer lists it.
func waitGone(t *testing.T, tgt target.Target, j *recordingJournal, key string, within time.Duration) {
	t.Helper()
	testenv.Eventually(t, within, "lock file "+key+" deleted and out of the journal", func() (bool, string) {
		_, err := tgt.Stat(context.Background(), key)
		gone := target.IsNotFound(err)
		return gone && !j.has(key), fmt.Sprintf("stat: %v, in journal: %v", err, j.has(key))
	})
}

// A release that fails while the server is down is not forgotten: once the
// server is back, the lock file is deleted by the background releaser and
// operations of the other type go ahead long before the lock would expire.
func TestFailedReleaseIsRetriedInBackground(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	cfg := fastConfig()
	cfg.Expiry = time.Minute
	j := newJournal()
	l := New(ft, dir, cfg)
	l.SetJournal(j)
	t.Cleanup(func() { _ = l.Close() })
	h, err := l.TryAcquire(ctx, Backup)
	if err != nil {
		t.Fatal(err)
	}
	serverDown(ft)
	if err := h.Release(ctx); !errors.Is(err, ErrReleasePending) {
		t.Fatalf("Release with the server down = %v, want ErrReleasePending", err)
	}
	if !j.has(h.Key()) || len(l.Pending()) != 1 {
		t.Fatalf("after a failed release: in journal %v, pending %v; want both to keep the lock", j.has(h.Key()), l.Pending())
	}
	if _, err := New(ft, dir, cfg).TryAcquire(ctx, Delete); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete lock while the backup lock's file is left: %v, want ErrConflict", err)
	}
	ft.Reset() // the server is back
	waitGone(t, ft, j, h.Key(), 10*time.Second)
	testenv.Eventually(t, 5*time.Second, "background releaser done", func() (bool, string) {
		return len(l.Pending()) == 0, fmt.Sprint(l.Pending())
	})
	d, err := New(ft, dir, cfg).TryAcquire(ctx, Delete)
	if err != nil {
		t.Fatalf("delete lock after the background release: %v", err)
	}
	_ = d.Release(ctx)
}

// The background releaser gives up once the lock has expired: no peer
// honours it any more, and the journal keeps it for the next start.
func TestBackgroundReleaseStopsAtExpiry(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	cfg := fastConfig()
	cfg.Expiry = 700 * time.Millisecond
	j := newJournal()
	l := New(ft, dir, cfg)
	l.SetJournal(j)
	t.Cleanup(func() { _ = l.Close() })
	h, err := l.TryAcquire(ctx, Delete)
	if err != nil {
		t.Fatal(err)
	}
	serverDown(ft)
	released := time.Now()
	if err := h.Release(ctx); !errors.Is(err, ErrReleasePending) {
		t.Fatalf("Release = %v, want ErrReleasePending", err)
	}
	testenv.Eventually(t, 5*time.Second, "background releaser gives up at expiry", func() (bool, string) {
		return len(l.Pending()) == 0, fmt.Sprint(l.Pending())
	})
	if since := time.Since(released); since > cfg.Expiry+2*time.Second {
		t.Fatalf("releaser ran %s past a %s expiry", since, cfg.Expiry)
	}
	if !j.has(h.Key()) {
		t.Fatal("an undeleted lock file was dropped from the journal")
	}
	if _, err := ft.Unwrap().Stat(ctx, h.Key()); err != nil {
		t.Fatalf("lock file: %v, want it still there (every delete failed)", err)
	}
}

// blockingDeletes hangs every Delete until its context ends, as a server
// that accepts the connection and never answers.
type blockingDeletes struct {
	target.Target
	entered chan struct{}
	once    sync.Once
}

func (b *blockingDeletes) Delete(ctx context.Context, key string) error {
	b.once.Do(func() { close(b.entered) })
	<-ctx.Done()
	return target.NewError(target.OpDelete, key, target.KindPermanent, ctx.Err())
}

// Close stops the background releaser promptly, even in the middle of a
// delete the server never answers.
func TestCloseStopsBackgroundRelease(t *testing.T) {
	ft := faulty.Wrap(mem.New())
	bd := &blockingDeletes{Target: ft, entered: make(chan struct{})}
	j := newJournal()
	l := New(bd, dir, Config{Expiry: time.Hour, Refresh: time.Minute, CheckWait: time.Millisecond})
	l.SetJournal(j)
	// Hand a key to the releaser directly, as a failed Release does (a
	// Release here would first wait out its own 30 s delete timeout).
	key := dir + "/lock-00000000000000cc.lck"
	if err := l.journalAdd(key); err != nil {
		t.Fatal(err)
	}
	if !l.releaseLater(key, time.Now().Add(time.Hour)) {
		t.Fatal("releaseLater refused before Close")
	}
	select {
	case <-bd.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the background releaser never tried to delete")
	}
	closed := make(chan struct{})
	go func() { _ = l.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a background delete the server never answers")
	}
	if !j.has(key) {
		t.Fatal("a lock file still on the store was dropped from the journal")
	}
	if l.releaseLater(key, time.Now().Add(time.Hour)) {
		t.Fatal("releaseLater accepted work after Close")
	}
}

// A first lock-file write that reached the server but reported an error
// (a timeout as the server stored it) is deleted again.
func TestLandedFirstWriteIsRemoved(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	j := newJournal()
	l := New(ft, dir, fastConfig())
	l.SetJournal(j)
	t.Cleanup(func() { _ = l.Close() })
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: dir, Times: 1, After: true, Kind: target.KindPermanent, Err: context.DeadlineExceeded})
	if _, err := l.TryAcquire(ctx, Backup); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("TryAcquire whose write timed out = %v, want the timeout", err)
	}
	if keys := lockFiles(t, ft); len(keys) != 0 {
		t.Fatalf("lock files left after the failed attempt: %v", keys)
	}
	if n := j.size(); n != 0 {
		t.Fatalf("journal lists %d keys after the cleanup", n)
	}
}

// If that cleanup fails too, the background releaser deletes the file once
// the server answers again.
func TestLandedFirstWriteCleanedUpInBackground(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	cfg := fastConfig()
	cfg.Expiry = time.Minute
	j := newJournal()
	l := New(ft, dir, cfg)
	l.SetJournal(j)
	t.Cleanup(func() { _ = l.Close() })
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: dir, Times: 1, After: true, Kind: target.KindTransient, Err: syscall.ECONNRESET})
	serverDown(ft)
	if _, err := l.TryAcquire(ctx, Backup); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("TryAcquire whose write was reset = %v, want the reset", err)
	}
	keys := lockFiles(t, ft)
	if len(keys) != 1 || !j.has(keys[0]) {
		t.Fatalf("lock files %v, journal size %d: want the landed file, still journaled", keys, j.size())
	}
	ft.Reset()
	waitGone(t, ft, j, keys[0], 10*time.Second)
}
