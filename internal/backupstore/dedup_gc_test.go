package backupstore

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

// twoSharingImages returns A (blocks a0 a1 s0 s1) and B (s0 s1 b0), 2 MiB
// blocks, where s0 and s1 are shared.
func twoSharingImages() (a, b []byte) {
	s := randomBytes(100, 4*mib)
	a = append(randomBytes(101, 4*mib), s...)
	b = append(slices.Clone(s), randomBytes(102, 2*mib)...)
	return a, b
}

func TestDedupUploadsOnlyNewBlocksWithoutExistenceChecks(t *testing.T) {
	ft := faulty.Wrap(mem.New())
	puts := countPuts(ft, format.BlocksDir)
	st := New(ft, testOptions())
	a, b := twoSharingImages()
	backupBytes(t, st, "img-a", a, nil, "lz4")
	if puts.Load() != 4 {
		t.Fatalf("first backup wrote %d blocks, want 4", puts.Load())
	}
	stats := ft.Calls(target.OpStat)
	res := backupBytes(t, st, "img-b", b, nil, "gzip")
	if got := puts.Load() - 4; got != 1 || res.Stats.Uploaded != 1 || res.Stats.Deduplicated != 2 {
		t.Fatalf("second backup wrote %d blocks (stats %+v), want only the 1 new one", got, res.Stats)
	}
	// Stats only come from the lock protocol (a few per acquisition), never
	// one per block.
	if n := ft.Calls(target.OpStat) - stats; n > 3 {
		t.Fatalf("second backup made %d Stat calls", n)
	}
	// A fresh Store (another process) learns the pool with one Walk.
	walks := ft.Calls(target.OpWalk)
	other := New(ft, testOptions())
	backupBytes(t, other, "img-b2", b, nil, "none")
	if got := puts.Load() - 5; got != 0 {
		t.Fatalf("a fresh store re-uploaded %d existing blocks", got)
	}
	if n := ft.Calls(target.OpWalk) - walks; n != 1 {
		t.Fatalf("%d walks for one backup, want 1", n)
	}
}

func TestDeleteKeepsSharedBlocks(t *testing.T) {
	tgt := mem.New()
	st := New(tgt, testOptions())
	a, b := twoSharingImages()
	backupBytes(t, st, "img-a", a, nil, "lz4")
	backupBytes(t, st, "img-b", b, nil, "lz4")
	res, err := st.Delete(context.Background(), "img-a")
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 2 || res.Kept != 3 || res.Skipped != "" {
		t.Fatalf("GC %+v, want 2 removed, 3 kept", res)
	}
	if n := len(poolKeys(t, tgt)); n != 3 {
		t.Fatalf("%d blocks left, want 3", n)
	}
	got, _ := restoreBytes(t, st, "img-b")
	assertSameImage(t, got, b)
	if _, err := st.Inspect(context.Background(), "img-a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("inspect deleted backup: %v", err)
	}
	// A backup after GC must re-upload what GC removed (KnownBlocks reset).
	backupBytes(t, st, "img-a", a, nil, "lz4")
	got, _ = restoreBytes(t, st, "img-a")
	assertSameImage(t, got, a)
	res, err = st.Delete(context.Background(), "img-b")
	if err != nil || res.Removed != 1 || res.Kept != 4 {
		t.Fatalf("second delete %+v %v", res, err)
	}
}

func TestGCDeletesNothingOnFailure(t *testing.T) {
	a, b := twoSharingImages()
	cases := map[string]faulty.Rule{
		"walk of cfgs fails":        {Ops: []string{target.OpWalk}, Prefix: format.ConfigsDir},
		"walk of cfgs cut short":    {Ops: []string{target.OpWalk}, Prefix: format.ConfigsDir, Entries: 1, Kind: target.KindTransient},
		"walk of pool fails midway": {Ops: []string{target.OpWalk}, Prefix: format.BlocksDir, Entries: 2},
		"cfg read fails":            {Ops: []string{target.OpGet}, Prefix: format.ConfigKey("img-b")},
		"cfg corrupt": {Ops: []string{target.OpGet}, Prefix: format.ConfigKey("img-b"),
			Corrupt: func(d []byte) []byte { return d[:len(d)/2] }},
	}
	for name, rule := range cases {
		t.Run(name, func(t *testing.T) {
			ft := faulty.Wrap(mem.New())
			st := New(ft, testOptions())
			backupBytes(t, st, "img-a", a, nil, "lz4")
			backupBytes(t, st, "img-b", b, nil, "lz4")
			before := len(poolKeys(t, ft))
			ft.Add(rule)
			_, err := st.Delete(context.Background(), "img-a")
			if !errors.Is(err, ErrGCAborted) {
				t.Fatalf("Delete = %v, want ErrGCAborted", err)
			}
			ft.Reset()
			if n := len(poolKeys(t, ft)); n != before {
				t.Fatalf("%d blocks left of %d: GC deleted on a failure", n, before)
			}
			// Retrying once the target is healthy collects the garbage.
			res, err := st.Delete(context.Background(), "img-a")
			if err != nil || res.Removed != 2 {
				t.Fatalf("retry %+v %v", res, err)
			}
			got, _ := restoreBytes(t, st, "img-b")
			assertSameImage(t, got, b)
		})
	}
}

func TestGCSkipsWhileABackupIsInProgress(t *testing.T) {
	ft := faulty.Wrap(mem.New())
	st := New(ft, testOptions())
	a, b := twoSharingImages()
	backupBytes(t, st, "img-a", a, nil, "lz4")
	// img-b fails after its placeholder: a stuck in-progress cfg.
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: format.BlocksDir, Kind: target.KindPermanent})
	if _, err := st.Backup(context.Background(), BackupRequest{Name: "img-b", Source: &BytesSource{Data: b}}, nil); err == nil {
		t.Fatal("backup with failing uploads succeeded")
	}
	ft.Reset()
	before := len(poolKeys(t, ft))
	res, err := st.Delete(context.Background(), "img-a")
	if err != nil || res.Removed != 0 || res.Skipped == "" {
		t.Fatalf("GC with an in-progress backup: %+v %v", res, err)
	}
	if n := len(poolKeys(t, ft)); n != before {
		t.Fatal("GC deleted blocks while a backup was in progress")
	}
}

func TestKnownBlocksForgetWhatAnotherInstallationCollected(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	// No linger: the other installation's delete must not wait for ours.
	opts := testOptions()
	opts.LockLinger = NoLockLinger
	st := New(tgt, opts)
	a, _ := twoSharingImages()
	backupBytes(t, st, "img-a", a, nil, "lz4")
	// Another installation deletes img-a and collects its blocks.
	if _, err := New(tgt, testOptions()).Delete(ctx, "img-a"); err != nil {
		t.Fatal(err)
	}
	if n := len(poolKeys(t, tgt)); n != 0 {
		t.Fatalf("%d blocks left", n)
	}
	// Our Store still "knows" them, but must upload them again.
	res := backupBytes(t, st, "img-a2", a, nil, "lz4")
	if res.Stats.Uploaded != 4 {
		t.Fatalf("uploaded %d blocks, want 4 (the pool was emptied elsewhere)", res.Stats.Uploaded)
	}
	got, _ := restoreBytes(t, st, "img-a2")
	assertSameImage(t, got, a)
}
