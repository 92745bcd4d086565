package backupstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// lingerOptions are testOptions with a CheckWait long enough to tell an
// operation that took the lock (LockWait >= checkWait) from one that
// joined it (LockWait near zero), and the given linger.
func lingerOptions(linger time.Duration) Options {
	o := testOptions()
	o.Lock.CheckWait = checkWait
	o.LockLinger = linger
	return o
}

const (
	checkWait = 300 * time.Millisecond
	joinedMax = 100 * time.Millisecond // a LockWait at most this joined a held lock
)

// lockFiles lists the lock directory.
func lockFiles(t testing.TB, tgt target.Target) []string {
	t.Helper()
	var keys []string
	err := tgt.List(context.Background(), format.LockDir, func(e target.Entry) error {
		if !e.IsDir {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil && !target.IsNotFound(err) {
		t.Fatal(err)
	}
	return keys
}

// lockWrites records the distinct lock files Put through ft.
type lockWrites struct {
	mu   sync.Mutex
	keys []string
}

func recordLockWrites(ft *faulty.Target) *lockWrites {
	w := &lockWrites{}
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Match: func(_, key string) bool {
		if strings.HasPrefix(key, format.LockDir+"/") {
			w.mu.Lock()
			if !slices.Contains(w.keys, key) {
				w.keys = append(w.keys, key)
			}
			w.mu.Unlock()
		}
		return false
	}})
	return w
}

func (w *lockWrites) distinct() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.keys)
}

// lockGone waits until the lock directory is empty.
func lockGone(t testing.TB, tgt target.Target, within time.Duration, what string) {
	t.Helper()
	testenv.Eventually(t, within, what, func() (bool, string) {
		keys := lockFiles(t, tgt)
		return len(keys) == 0, fmt.Sprint(keys)
	})
}

func TestConsecutiveOperationsJoinTheLingeringLock(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		writes := recordLockWrites(ft)
		st := New(ft, lingerOptions(2*time.Second))
		img := randomBytes(700, 2*mib+5)
		first := backupBytes(t, st, "first", img, nil, "lz4")
		if first.LockWait < checkWait {
			t.Fatalf("first backup waited %s for the lock, want the protocol's %s", first.LockWait, checkWait)
		}
		held := lockFiles(t, tgt)
		if len(held) != 1 {
			t.Fatalf("lock files after the first backup: %v, want its lingering lock", held)
		}
		second := backupBytes(t, st, "second", img, nil, "lz4")
		if second.LockWait > joinedMax {
			t.Fatalf("second backup waited %s for the lock, want it to join the lingering one", second.LockWait)
		}
		got, res := restoreBytes(t, st, "second")
		assertSameImage(t, got, img)
		if res.LockWait > joinedMax {
			t.Fatalf("restore waited %s for the lock, want it to join the lingering one", res.LockWait)
		}
		if w := writes.distinct(); len(w) != 1 || w[0] != held[0] {
			t.Fatalf("lock files written: %v, want only %s", w, held[0])
		}
		lockGone(t, tgt, 10*time.Second, "the lingering lock to be released after LockLinger")
		// The next operation takes a lock afresh.
		third := backupBytes(t, st, "third", img, nil, "lz4")
		if third.LockWait < checkWait || len(writes.distinct()) != 2 {
			t.Fatalf("backup after the linger: waited %s, lock files written %v; want a new lock", third.LockWait, writes.distinct())
		}
	})
}

func TestNoLockLingerReleasesAtOnce(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		st := New(tgt, lingerOptions(NoLockLinger))
		img := randomBytes(701, mib)
		for _, name := range []string{"now-a", "now-b"} {
			if res := backupBytes(t, st, name, img, nil, "lz4"); res.LockWait < checkWait {
				t.Fatalf("backup %s waited %s, want the protocol's %s", name, res.LockWait, checkWait)
			}
			if keys := lockFiles(t, tgt); len(keys) != 0 {
				t.Fatalf("lock files after backup %s: %v, want none", name, keys)
			}
		}
	})
}

func TestGCOfTheSameStoreReleasesItsLingeringLock(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		opts := lingerOptions(time.Minute)
		opts.LockTimeout = 2 * time.Second // far below the linger: waiting for it fails
		st := New(tgt, opts)
		backupBytes(t, st, "gc-a", randomBytes(702, 3*mib), nil, "lz4")
		if keys := lockFiles(t, tgt); len(keys) != 1 {
			t.Fatalf("lock files after the backup: %v, want its lingering lock", keys)
		}
		res, err := st.Delete(ctx, "gc-a")
		if err != nil || res.Removed != 2 {
			t.Fatalf("delete while our own type-1 lock lingers: %+v %v", res, err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after the delete: %v, want none", keys)
		}
		if _, err := st.GC(ctx); err != nil {
			t.Fatal(err)
		}
		if res := backupBytes(t, st, "gc-b", randomBytes(703, mib), nil, "lz4"); res.LockWait < checkWait {
			t.Fatalf("backup after the delete waited %s, want a new lock", res.LockWait)
		}
	})
}

func TestGCOfAnotherStoreBacksOffWhileOurLockLingers(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		// Expiry well above S3's one-second mtimes; the linger outlasts it,
		// so only the refreshes keep the lingering lock live.
		lk := lock.Config{Expiry: 2 * time.Second, Refresh: 200 * time.Millisecond, CheckWait: 20 * time.Millisecond}
		ours := testOptions()
		ours.Lock, ours.LockLinger = lk, 5*time.Second
		st := New(tgt, ours)
		backupBytes(t, st, "other-a", randomBytes(704, 2*mib), nil, "lz4")
		keys := lockFiles(t, tgt)
		if len(keys) != 1 {
			t.Fatalf("lock files after the backup: %v, want its lingering lock", keys)
		}
		first, err := tgt.Stat(ctx, keys[0])
		if err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, "the lingering lock refreshed past its expiry", func() (bool, string) {
			st, err := tgt.Stat(ctx, keys[0])
			return err == nil && st.ModTime.Sub(first.ModTime) > lk.Expiry, fmt.Sprint(st.ModTime, err)
		})
		theirs := testOptions()
		theirs.Lock, theirs.LockTimeout = lk, 100*time.Millisecond
		if _, err := New(tgt, theirs).Delete(ctx, "other-a"); !errors.Is(err, lock.ErrConflict) {
			t.Fatalf("another store's delete while our lock lingers: %v, want lock.ErrConflict", err)
		}
		theirs.LockTimeout = 20 * time.Second
		res, err := New(tgt, theirs).Delete(ctx, "other-a")
		if err != nil || res.Removed != 1 {
			t.Fatalf("another store's delete after our linger: %+v %v", res, err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after the delete: %v", keys)
		}
	})
}
