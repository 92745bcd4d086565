package syncbench

import (
	"context"
	"flag"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/benchmem"
	"github.com/plinth-storage/plinth/internal/target"
)

// syncN is the number of backups BenchmarkSync populates: -syncbench.n or
// PLINTH_SYNC_N, default defaultSyncN. Recorded numbers use the default.
var syncN = flag.String("syncbench.n", os.Getenv("PLINTH_SYNC_N"), "backups in the store for BenchmarkSync (default 10000)")

const (
	defaultSyncN = 10000
	// benchChanged is how many cfgs change, and how many appear, before
	// each "changed" sync.
	benchChanged = 100
	// heapInterval is how often the heap is sampled during a sync.
	heapInterval = 2 * time.Millisecond
)

func benchN(b *testing.B) int {
	if *syncN == "" {
		return defaultSyncN
	}
	n, err := strconv.Atoi(*syncN)
	if err != nil || n < benchChanged {
		b.Fatalf("PLINTH_SYNC_N / -syncbench.n = %q: want a whole number of backups >= %d", *syncN, benchChanged)
	}
	return n
}

// BenchmarkSync measures the sync of a target holding N complete
// backing-image backups (10,000 unless PLINTH_SYNC_N says otherwise), on a
// file target and on S3 (versitygw through a request-counting proxy):
//
//	first    ListChanged with nothing seen: every cfg is read
//	repeat   ListChanged with the stamps of the first: nothing is read
//	changed  ListChanged after 100 cfgs were rewritten and 100 added
//
// Each reports wall time (ns/op), the calls sent to the target per op
// (walk, list, get, stat), on S3 the HTTP requests per op, the cfgs loaded,
// and the peak in-use heap during the sync (absolute, and its growth over
// the heap just before it).
func BenchmarkSync(b *testing.B) {
	n := benchN(b)
	b.Run("file", func(b *testing.B) { benchSync(b, fileRig(b), n) })
	b.Run("s3", func(b *testing.B) { benchSync(b, s3Rig(b, true), n) })
}

func benchSync(b *testing.B, r *rig, n int) {
	ctx := context.Background()
	start := time.Now()
	if err := Populate(ctx, r.raw, n, populateConc); err != nil {
		b.Fatal(err)
	}
	b.Logf("populated %d cfgs in %s with %d parallel Puts", n, time.Since(start).Round(time.Millisecond), populateConc)
	full, err := r.store.ListChanged(ctx, nil)
	if err != nil || len(full.Loaded) != n {
		b.Fatalf("initial sync: %d backups loaded, want %d: %v", len(full.Loaded), n, err)
	}
	seen := make(map[string]backupstore.Stamp, n+benchChanged)
	apply(seen, full)

	b.Run("first", func(b *testing.B) {
		b.StopTimer()
		var m meter
		for range b.N {
			m.sync(ctx, b, r, nil, n)
		}
		m.report(b)
	})
	b.Run("repeat", func(b *testing.B) {
		b.StopTimer()
		var m meter
		for range b.N {
			m.sync(ctx, b, r, seen, 0)
		}
		m.report(b)
	})
	round := 0 // persists across the calls the framework makes with growing b.N
	b.Run("changed", func(b *testing.B) {
		b.StopTimer()
		var m meter
		for range b.N {
			round++
			benchChangedRound(ctx, b, r, &m, seen, n, round)
		}
		m.report(b)
	})
}

// benchChangedRound rewrites benchChanged cfgs (at revision round, so
// their size differs from every earlier version) and adds benchChanged
// new ones, times one sync, then deletes the new ones again so every round
// starts from the same N backups.
func benchChangedRound(ctx context.Context, b *testing.B, r *rig, m *meter, seen map[string]backupstore.Stamp, n, round int) {
	added := Range(n, benchChanged)
	if err := PutConfigs(ctx, r.raw, changeSet(n, benchChanged, round), round, populateConc); err != nil {
		b.Fatal(err)
	}
	if err := PutConfigs(ctx, r.raw, added, 0, populateConc); err != nil {
		b.Fatal(err)
	}
	l := m.sync(ctx, b, r, seen, 2*benchChanged)
	apply(seen, l)
	for _, i := range added {
		if err := r.raw.Delete(ctx, format.ConfigKey(Name(i))); err != nil {
			b.Fatal(err)
		}
		delete(seen, Name(i))
	}
}

// meter accumulates what the syncs of one sub-benchmark sent and used.
type meter struct {
	ops    int
	loaded int
	calls  map[string]int64
	wire   map[string]int64
	peak   uint64
	growth uint64
}

// sync times one ListChanged from seen and checks it loaded wantLoaded
// backups. The caller keeps the timer stopped: sync starts it only around
// the ListChanged call.
func (m *meter) sync(ctx context.Context, b *testing.B, r *rig, seen map[string]backupstore.Stamp, wantLoaded int) backupstore.Listing {
	runtime.GC()
	r.resetCounts()
	base := benchmem.HeapInUse()
	stop := benchmem.Peak(heapInterval, false)
	b.StartTimer()
	l, err := r.store.ListChanged(ctx, seen)
	b.StopTimer()
	peak := stop()
	if err != nil {
		b.Fatalf("sync: %v", err)
	}
	if len(l.Loaded) != wantLoaded {
		b.Fatalf("sync loaded %d backups, want %d", len(l.Loaded), wantLoaded)
	}
	m.add(r.result(l), peak, peak-min(peak, base))
	return l
}

func (m *meter) add(res syncResult, peak, growth uint64) {
	if m.calls == nil {
		m.calls, m.wire = make(map[string]int64), make(map[string]int64)
	}
	m.ops++
	m.loaded += len(res.listing.Loaded)
	for op, c := range res.calls {
		m.calls[op] += c
	}
	for op, c := range res.wire {
		m.wire[op] += c
	}
	m.peak, m.growth = max(m.peak, peak), max(m.growth, growth)
}

// readOps are the ops a sync may send, reported even when zero.
var readOps = []string{target.OpWalk, target.OpList, target.OpGet, target.OpStat}

// report emits the per-op metrics: readOps always (so result tables line
// up), any other op only when it was sent.
func (m *meter) report(b *testing.B) {
	per := func(v int64) float64 { return float64(v) / float64(max(1, m.ops)) }
	for _, op := range readOps {
		b.ReportMetric(per(m.calls[op]), op+"/op")
	}
	for _, op := range slices.Sorted(maps.Keys(m.calls)) {
		if !slices.Contains(readOps, op) {
			b.ReportMetric(per(m.calls[op]), op+"/op")
		}
	}
	if len(m.wire) > 0 {
		var total int64
		for op, c := range m.wire {
			total += c
			b.ReportMetric(per(c), "http-"+op+"/op")
		}
		b.ReportMetric(per(total), "http-req/op")
	}
	b.ReportMetric(per(int64(m.loaded)), "loaded/op")
	b.ReportMetric(float64(m.peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(m.growth)/(1<<20), "heap-growth-MiB")
}
