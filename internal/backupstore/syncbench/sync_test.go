package syncbench

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// testN is the store size of the request-count test: small enough for a
// fast test, large enough that a per-backup request would stand out.
const testN = 300

// testChanged is how many cfgs the test rewrites, and how many it adds.
const testChanged = 100

// TestSyncRequestCounts guards the request pattern that lets a sync scale
// to thousands of backups, on a file target and on S3: one listing scoped
// to the cfg directory per sync, exactly one Get per new or changed cfg and
// none for an unchanged one, and nothing else (no Stat, no listing of the
// block pool, the locks or the rest of the bucket).
func TestSyncRequestCounts(t *testing.T) {
	t.Run("file", func(t *testing.T) { checkSyncCounts(t, fileRig(t)) })
	t.Run("s3", func(t *testing.T) {
		r := checkSyncCounts(t, s3Rig(t, true))
		checkAvailability(context.Background(), t, r)
	})
}

// checkSyncCounts populates r and checks four syncs: the first, a repeat,
// one after changes and additions, one after deletions. It returns r.
func checkSyncCounts(t *testing.T, r *rig) *rig {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Populate(ctx, r.raw, testN, populateConc); err != nil {
		t.Fatal(err)
	}
	putNeighbours(ctx, t, r.raw)

	first := mustSync(ctx, t, r, nil, testN, testN)
	if got := len(first.listing.Loaded); got != testN {
		t.Fatalf("first sync loaded %d backups, want %d", got, testN)
	}
	checkSummary(t, first.listing.Loaded[0])
	seen := make(map[string]backupstore.Stamp)
	apply(seen, first.listing)

	repeat := mustSync(ctx, t, r, seen, testN, 0)
	if len(repeat.listing.Loaded) != 0 || len(repeat.listing.Unchanged) != testN || len(repeat.listing.Gone) != 0 {
		t.Fatalf("repeated sync: %d loaded, %d unchanged, %d gone; want 0, %d, 0",
			len(repeat.listing.Loaded), len(repeat.listing.Unchanged), len(repeat.listing.Gone), testN)
	}

	changed, added := changeSet(testN, testChanged, 0), Range(testN, testChanged)
	if err := PutConfigs(ctx, r.raw, changed, 1, populateConc); err != nil {
		t.Fatal(err)
	}
	if err := PutConfigs(ctx, r.raw, added, 0, populateConc); err != nil {
		t.Fatal(err)
	}
	after := mustSync(ctx, t, r, seen, testN+testChanged, 2*testChanged)
	want := names(append(slices.Clone(changed), added...))
	if got := loadedNames(after.listing); !slices.Equal(got, want) {
		t.Fatalf("sync after changes loaded %d backups %v..., want the %d changed and added", len(got), head(got), len(want))
	}
	apply(seen, after.listing)

	gone := Range(0, 5)
	for _, i := range gone {
		if err := r.raw.Delete(ctx, format.ConfigKey(Name(i))); err != nil {
			t.Fatal(err)
		}
	}
	deleted := mustSync(ctx, t, r, seen, testN+testChanged-len(gone), 0)
	if !slices.Equal(deleted.listing.Gone, names(gone)) {
		t.Fatalf("sync after deletes reported gone %v, want %v", deleted.listing.Gone, names(gone))
	}
	return r
}

// mustSync runs one sync of a store holding cfgs backups and checks its
// requests: one Walk of the cfg directory and wantGets Gets, nothing else;
// on S3 also one ListObjectsV2 page per 1,000 cfgs, all with the cfg
// prefix, and wantGets GetObjects, nothing else.
func mustSync(ctx context.Context, t *testing.T, r *rig, seen map[string]backupstore.Stamp, cfgs int, wantGets int64) syncResult {
	t.Helper()
	res, err := r.sync(ctx, seen)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	want := map[string]int64{target.OpWalk: 1}
	if wantGets > 0 {
		want[target.OpGet] = wantGets
	}
	if !maps.Equal(res.calls, want) {
		t.Fatalf("sync sent %v to the target, want %v", res.calls, want)
	}
	if l := r.count.Listings(); !slices.Equal(l, []Listing{{Op: target.OpWalk, Dir: format.ConfigsDir}}) {
		t.Fatalf("sync listed %v, want one walk of %s", l, format.ConfigsDir)
	}
	if r.wire != nil {
		checkWire(t, r.wire, res.wire, cfgs, wantGets)
	}
	return res
}

func checkWire(t *testing.T, w *wireCounter, got map[string]int64, cfgs int, wantGets int64) {
	t.Helper()
	want := map[string]int64{"ListObjectsV2": int64(max(1, (cfgs+999)/1000))}
	if wantGets > 0 {
		want["GetObject"] = wantGets
	}
	if !maps.Equal(got, want) {
		t.Fatalf("sync sent S3 requests %v, want %v", got, want)
	}
	for _, l := range w.Listings() {
		if l.Prefix != s3Prefix+"/"+format.ConfigsDir+"/" {
			t.Fatalf("sync listed bucket prefix %q, want only %q", l.Prefix, s3Prefix+"/"+format.ConfigsDir+"/")
		}
	}
}

// checkAvailability checks that the availability check of a populated S3
// target costs a few requests whatever the store holds: any listing it
// sends asks for at most one key and stays inside the target's prefix.
func checkAvailability(ctx context.Context, t *testing.T, r *rig) {
	t.Helper()
	r.resetCounts()
	if err := r.store.Target().Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	var total int64
	for _, c := range r.wire.Calls() {
		total += c
	}
	if total > 3 {
		t.Fatalf("availability check sent %d S3 requests %v, want at most 3", total, r.wire.Calls())
	}
	for _, l := range r.wire.Listings() {
		if l.MaxKeys != "1" || !strings.HasPrefix(l.Prefix, s3Prefix+"/") {
			t.Fatalf("availability check listed %+v, want at most one key below %s/", l, s3Prefix)
		}
	}
}

// putNeighbours writes what else lives in a real store and bucket (pool
// blocks, a lock, a volume backup, another application's object), which a
// sync must neither list nor read.
func putNeighbours(ctx context.Context, t *testing.T, tgt target.Target) {
	t.Helper()
	keys := []string{format.LockDir + "/lock-neighbour.lck", "backupstore/volumes/5a/1b/vol-a/volume.cfg", "other-app/data.bin"}
	for i := range 20 {
		keys = append(keys, format.BlockKey(format.BlockID([]byte(strconv.Itoa(i)))))
	}
	for _, k := range keys {
		if err := tgt.Put(ctx, k, []byte("neighbour")); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
}

func checkSummary(t *testing.T, s backupstore.Summary) {
	t.Helper()
	want := NewConfig(0, 0)
	if s.Name != Name(0) || s.InProgress || s.Invalid != "" || s.BlockCount != int64(want.BlockCount) ||
		s.Checksum != want.Checksum || s.CompressionMethod != format.CompressionLZ4 || s.Stamp.Size == 0 {
		t.Fatalf("first summary %+v does not describe the generated cfg %s", s, Name(0))
	}
}

// changeSet picks k of the n backups, spread evenly, for round: the cfgs
// a benchmark iteration or the test rewrites.
func changeSet(n, k, round int) []int {
	ids := make([]int, 0, k)
	step := max(1, n/k)
	for j := range k {
		ids = append(ids, (j*step+round)%n)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func names(ids []int) []string {
	out := make([]string, len(ids))
	for k, i := range ids {
		out[k] = Name(i)
	}
	slices.Sort(out)
	return out
}

func loadedNames(l backupstore.Listing) []string {
	out := make([]string, len(l.Loaded))
	for k, s := range l.Loaded {
		out[k] = s.Name
	}
	slices.Sort(out)
	return out
}

func head(s []string) []string { return s[:min(len(s), 5)] }
