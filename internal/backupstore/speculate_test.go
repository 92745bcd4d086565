package backupstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

// slowLockOptions is testOptions with a lock CheckWait long enough for a
// speculation to upload a small image while the lock protocol waits, and
// a lock released as soon as the backup ends (every backup is cold).
func slowLockOptions(checkWait time.Duration) Options {
	o := testOptions()
	o.Lock.CheckWait = checkWait
	o.LockLinger = NoLockLinger
	return o
}

// callLog records, in order, the block Puts and the lock protocol's
// listings of the lock directory made through a faulty target.
type callLog struct {
	mu    sync.Mutex
	calls []string // "put <key>" or "check"
}

func logCalls(ft *faulty.Target) *callLog {
	l := &callLog{}
	ft.Add(faulty.Rule{Match: func(op, key string) bool {
		switch {
		case op == target.OpPut && strings.HasPrefix(key, format.BlocksDir+"/"):
			l.add("put " + key)
		case op == target.OpList && strings.HasPrefix(key, format.LockDir):
			l.add("check")
		}
		return false
	}})
	return l
}

func (l *callLog) add(c string) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// putsBeforeCheck returns the block keys Put before the first lock check,
// and the number of block Puts in all.
func (l *callLog) putsBeforeCheck() (before []string, all int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	checked := false
	for _, c := range l.calls {
		if c == "check" {
			checked = true
		} else if key, ok := strings.CutPrefix(c, "put "); ok {
			all++
			if !checked {
				before = append(before, key)
			}
		}
	}
	return before, all
}

func TestColdManifestBackupUploadsWhileTheLockProtocolWaits(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ft := faulty.Wrap(tgt)
		log := logCalls(ft)
		st := New(ft, slowLockOptions(500*time.Millisecond))
		img, ext := repeatedImage("AB0A_CDA", 4096+17) // A, B, C, D and the tail: 5 distinct, A twice again
		src := &countingSource{Source: &BytesSource{Data: img, Extents: ext}}
		res := backupManifest(t, st, "cold", src, manifestOf(t, img))

		before, all := log.putsBeforeCheck()
		if len(before) == 0 {
			t.Fatalf("no block was uploaded before the lock check; calls %v", log.calls)
		}
		// Each distinct block was read and uploaded once, speculatively or not,
		// and the stats say so.
		if all != 5 || src.reads.Load() != 5 || res.Stats.Uploaded != 5 || res.Stats.DataBlocks != 5 ||
			res.Stats.Deduplicated != 2 || res.Stats.ZeroBlocks != 2 || res.Stats.BytesRead != src.bytes.Load() ||
			res.Stats.BytesRead != 4*format.BlockSize+4096+17 {
			t.Fatalf("%d puts (%d before the lock check), %d reads, stats %+v", all, len(before), src.reads.Load(), res.Stats)
		}
		if res.LockWait < 500*time.Millisecond {
			t.Fatalf("lock wait %s: the backup did not take a new lock", res.LockWait)
		}
		got, _ := restoreBytes(t, st, "cold")
		assertSameImage(t, got, img)

		// A cold Store backing up stored blocks still reads and uploads nothing.
		src.reads.Store(0)
		cold := New(ft, slowLockOptions(500*time.Millisecond))
		res = backupManifest(t, cold, "again", src, manifestOf(t, img))
		if _, all2 := log.putsBeforeCheck(); all2 != all || src.reads.Load() != 0 || res.Stats.Uploaded != 0 || res.Stats.BytesRead != 0 {
			t.Fatalf("all stored: %d new puts, %d reads, stats %+v", all2-all, src.reads.Load(), res.Stats)
		}
	})
}

func TestSpeculativeBlockRemovedBeforeTheLockIsUploadedAgain(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		ft := faulty.Wrap(tgt)
		log := logCalls(ft)
		opts := slowLockOptions(300 * time.Millisecond)
		opts.KnownBlocksMaxAge = time.Hour // the pool listing is not re-read unless it must be
		st := New(ft, opts)
		first, fext := repeatedImage("XY", 0)
		backupManifest(t, st, "first", &BytesSource{Data: first, Extents: fext}, manifestOf(t, first))
		_, putsBefore := log.putsBeforeCheck()

		// A garbage collector removes a speculatively uploaded block (nothing
		// references it yet) once the speculation is over, before the backup's
		// placeholder cfg.
		var removed string
		var removeLastPut func()
		var once sync.Once
		ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: format.ConfigKey("gc"), Match: func(_, _ string) bool {
			once.Do(func() { removeLastPut() })
			return false
		}})
		removeLastPut = func() {
			log.mu.Lock()
			puts := 0
			for _, c := range log.calls {
				if key, ok := strings.CutPrefix(c, "put "); ok {
					if puts++; puts > putsBefore {
						removed = key // the last block the speculation uploaded
					}
				}
			}
			log.mu.Unlock()
			if removed != "" {
				if err := tgt.Delete(ctx, removed); err != nil {
					t.Errorf("delete %s: %v", removed, err)
				}
			}
		}
		img, ext := repeatedImage("ABCA", 0)
		src := &countingSource{Source: &BytesSource{Data: img, Extents: ext}}
		res := backupManifest(t, st, "gc", src, manifestOf(t, img))
		if !strings.HasPrefix(removed, format.BlocksDir+"/") {
			t.Fatalf("the speculation uploaded nothing before the placeholder cfg: calls %v", log.calls)
		}
		if _, err := tgt.Stat(ctx, removed); err != nil {
			t.Fatalf("the removed block %s was not uploaded again: %v", removed, err)
		}
		// Only the removed block was read and uploaded twice.
		_, all := log.putsBeforeCheck()
		if all-putsBefore != 4 || src.reads.Load() != 4 || res.Stats.Uploaded != 4 || res.Stats.Deduplicated != 1 {
			t.Fatalf("%d block puts, %d reads, stats %+v", all-putsBefore, src.reads.Load(), res.Stats)
		}
		for name, want := range map[string][]byte{"gc": img, "first": first} {
			got, _ := restoreBytes(t, st, name)
			assertSameImage(t, got, want)
		}
	})
}

func TestManifestBackupFailsWithoutCfgWhenADeleteHoldsTheLock(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		opts := slowLockOptions(100 * time.Millisecond)
		opts.LockTimeout = time.Second
		held, _, err := lock.New(tgt, format.LockDir, opts.Lock).Acquire(ctx, lock.Delete, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer held.Release(ctx)
		st := New(tgt, opts)
		img, ext := repeatedImage("ABC", 0)
		src := &countingSource{Source: &BytesSource{Data: img, Extents: ext}}
		_, err = st.Backup(ctx, BackupRequest{Name: "blocked", Source: src, Manifest: manifestOf(t, img)}, nil)
		if !errors.Is(err, lock.ErrConflict) {
			t.Fatalf("backup while a delete holds the lock: %v", err)
		}
		if _, err := tgt.Stat(ctx, format.ConfigKey("blocked")); !target.IsNotFound(err) {
			t.Fatalf("the failed backup wrote its cfg: %v", err)
		}
		if reads := src.reads.Load(); reads > 3 {
			t.Fatalf("%d reads of 3 distinct blocks", reads)
		}
	})
}

func TestSpeculationLeavesADamagedSourceToTheLockedPath(t *testing.T) {
	realTargets(t, func(t *testing.T, tgt target.Target) {
		ctx := context.Background()
		st := New(tgt, slowLockOptions(300*time.Millisecond))
		img, ext := repeatedImage("ABCD", 0)
		m := manifestOf(t, img)
		rotten := append([]byte(nil), img...)
		rotten[format.BlockSize+7] ^= 0x01
		_, err := st.Backup(ctx, BackupRequest{Name: "rot", Source: &BytesSource{Data: rotten, Extents: ext}, Manifest: m}, nil)
		var de *SourceDamagedError
		if !errors.As(err, &de) || len(de.Offsets) != 1 || de.Offsets[0] != format.BlockSize {
			t.Fatalf("backup of a damaged source: %v", err)
		}
		for _, id := range []string{m.Blocks[1].String(), format.BlockID(rotten[format.BlockSize : 2*format.BlockSize])} {
			if _, err := tgt.Stat(ctx, format.BlockKey(id)); !target.IsNotFound(err) {
				t.Fatalf("block %s of the damaged range is in the pool: %v", id, err)
			}
		}
	})
}
