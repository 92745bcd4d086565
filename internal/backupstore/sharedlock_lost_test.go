package backupstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/testenv"
)

func TestConcurrentOperationsShareOneLockFile(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		writes := recordLockWrites(ft)
		st := New(ft, lingerOptions(NoLockLinger))
		img := randomBytes(710, 2*mib)
		setup := New(tgt, testOptions())
		backupBytes(t, setup, "shared-src", img, nil, "lz4")
		if err := setup.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after closing the set-up store: %v, want its lingering lock released", keys)
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, errs[i] = st.Backup(context.Background(), BackupRequest{Name: "shared-" + string(rune('a'+i)), Source: &BytesSource{Data: img}}, nil)
					return
				}
				_, errs[i] = st.Restore(context.Background(), "shared-src", &BytesSink{}, RestoreOptions{}, nil)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("operation %d: %v", i, err)
			}
		}
		if w := writes.distinct(); len(w) != 1 {
			t.Fatalf("concurrent operations wrote lock files %v, want one shared", w)
		}
		// No linger: the last one released it.
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after the operations: %v, want none", keys)
		}
	})
}

// gatedSource blocks every read until open is closed, and reports the
// first read on started.
type gatedSource struct {
	*BytesSource
	once    sync.Once
	started chan struct{}
	open    chan struct{}
}

func newGatedSource(data []byte, open chan struct{}) *gatedSource {
	return &gatedSource{BytesSource: &BytesSource{Data: data}, started: make(chan struct{}), open: open}
}

func (g *gatedSource) ReadAt(p []byte, off int64) (int, error) {
	g.once.Do(func() { close(g.started) })
	<-g.open
	return g.BytesSource.ReadAt(p, off)
}

func TestLostSharedLockCancelsEveryOperationUsingIt(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		opts := testOptions()
		opts.Lock = lock.Config{Expiry: time.Second, Refresh: 100 * time.Millisecond, CheckWait: 5 * time.Millisecond}
		opts.LockLinger = time.Minute
		st := New(ft, opts)
		open := make(chan struct{})
		srcs := []*gatedSource{newGatedSource(randomBytes(711, mib), open), newGatedSource(randomBytes(712, mib), open)}
		errs := make([]error, len(srcs))
		var wg sync.WaitGroup
		for i, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.Backup(context.Background(), BackupRequest{Name: "lost-" + string(rune('a'+i)), Source: src}, nil)
			}()
		}
		for _, src := range srcs {
			<-src.started // both run under the lock
		}
		st.share.mu.Lock()
		sh := st.share.cur
		st.share.mu.Unlock()
		if sh == nil || sh.users != 2 {
			t.Fatalf("shared lock %+v, want one used by both backups", sh)
		}
		// Refreshes fail from now on: the lock is lost within the expiry.
		ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: format.LockDir, Kind: target.KindPermanent})
		select {
		case <-sh.held.Context().Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the lock was not declared lost although its refreshes failed")
		}
		close(open)
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, lock.ErrLost) {
				t.Fatalf("backup %d under the lost lock: %v, want lock.ErrLost", i, err)
			}
		}
		ft.Reset()
		lockGone(t, tgt, 10*time.Second, "the lost lock's file to be deleted")
		res := backupBytes(t, st, "lost-after", randomBytes(713, mib), nil, "lz4")
		keys := lockFiles(t, tgt)
		if len(keys) != 1 || keys[0] == sh.held.Key() || res.LockWait == 0 {
			t.Fatalf("backup after the loss: lock files %v (lost %s), waited %s; want a new lock", keys, sh.held.Key(), res.LockWait)
		}
		if err := st.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after Close: %v, want none", keys)
		}
	})
}

func TestCloseReleasesTheLockAfterItsLastOperation(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		st := New(tgt, lingerOptions(time.Minute))
		open := make(chan struct{})
		src := newGatedSource(randomBytes(714, mib), open)
		done := make(chan error, 1)
		go func() {
			_, err := st.Backup(context.Background(), BackupRequest{Name: "close-a", Source: src}, nil)
			done <- err
		}()
		<-src.started
		if err := st.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 1 {
			t.Fatalf("lock files while the backup runs after Close: %v, want its lock", keys)
		}
		close(open)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after the last operation of a closed Store: %v, want none", keys)
		}
	})
}

func TestGCWaitingForABackupOfTheSameStoreSkipsTheLinger(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		opts := lingerOptions(time.Minute)
		opts.Lock.CheckWait = 20 * time.Millisecond
		opts.LockTimeout = 20 * time.Second // below the linger
		st := New(tgt, opts)
		backupBytes(t, st, "wait-a", randomBytes(715, mib), nil, "lz4")
		open := make(chan struct{})
		src := newGatedSource(randomBytes(716, mib), open)
		done := make(chan error, 1)
		go func() {
			_, err := st.Backup(ctx, BackupRequest{Name: "wait-b", Source: src}, nil)
			done <- err
		}()
		<-src.started
		gc := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := st.Delete(ctx, "wait-a")
			gc <- err
		}()
		// The delete waits for the running backup's lock.
		testenv.Eventually(t, 10*time.Second, "the delete to have tried to take its lock", func() (bool, string) {
			st.share.mu.Lock()
			defer st.share.mu.Unlock()
			return st.share.deleters == 1, ""
		})
		close(open)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := <-gc; err != nil || time.Since(start) > 15*time.Second {
			t.Fatalf("delete behind a backup of the same Store: %v after %s", err, time.Since(start))
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files after the delete: %v, want none", keys)
		}
	})
}

func TestLingeringLockThatCouldNotBeReleasedIsRemovedByTheNextOperation(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		opts := lingerOptions(200 * time.Millisecond)
		opts.Lock.CheckWait = 5 * time.Millisecond
		st := New(ft, opts)
		backupBytes(t, st, "left-a", randomBytes(717, mib), nil, "lz4")
		first := lockFiles(t, tgt)
		ft.Add(faulty.Rule{Ops: []string{target.OpDelete}, Prefix: format.LockDir, Kind: target.KindPermanent})
		testenv.Eventually(t, 10*time.Second, "the linger to end with the release failing", func() (bool, string) {
			return st.Leftovers() == 1, ""
		})
		ft.Reset()
		backupBytes(t, st, "left-b", randomBytes(718, mib), nil, "lz4")
		keys := lockFiles(t, tgt)
		if st.Leftovers() != 0 || len(keys) != 1 || keys[0] == first[0] {
			t.Fatalf("after the next backup: %d leftovers, lock files %v (the unreleased one %v)", st.Leftovers(), keys, first)
		}
	})
}

func TestWaiterTakesTheLockWhenTheAcquiringOperationIsCancelled(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		opts := lingerOptions(NoLockLinger)
		opts.Lock.CheckWait = 2 * time.Second
		st := New(tgt, opts)
		img := randomBytes(719, mib)
		actx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() {
			_, err := st.Backup(actx, BackupRequest{Name: "cancel-a", Source: &BytesSource{Data: img}}, nil)
			first <- err
		}()
		testenv.Eventually(t, 10*time.Second, "the first backup's lock file", func() (bool, string) {
			return len(lockFiles(t, tgt)) == 1, ""
		})
		second := make(chan error, 1)
		go func() {
			_, err := st.Backup(context.Background(), BackupRequest{Name: "cancel-b", Source: &BytesSource{Data: img}}, nil)
			second <- err
		}()
		testenv.Eventually(t, 10*time.Second, "the second backup to wait for the first one's acquisition", func() (bool, string) {
			return st.share.waiting.Load() == 1, ""
		})
		cancel()
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled backup: %v, want context.Canceled", err)
		}
		if err := <-second; err != nil {
			t.Fatalf("the waiting backup after the acquiring one was cancelled: %v", err)
		}
		if keys := lockFiles(t, tgt); len(keys) != 0 {
			t.Fatalf("lock files left: %v", keys)
		}
	})
}
