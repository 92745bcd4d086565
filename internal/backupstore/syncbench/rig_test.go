package syncbench

import (
	"context"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/all"
	"github.com/plinth-storage/plinth/internal/target/file"
	"github.com/plinth-storage/plinth/internal/target/retry"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// populateConc is how many Puts populate a target at once: enough to keep
// versitygw busy on two cores without a connection storm.
const populateConc = 48

// s3Prefix is the path of the store inside the bucket, as in a bucket
// shared with other data.
const s3Prefix = "plinth-store"

// rig is one target set up for a sync: the driver for writes that must not
// be counted, and a Store over the production decorator stack with a
// Counting wrapper next to the driver.
type rig struct {
	// raw writes cfgs behind the sync's back: the driver with retries only
	// (no concurrency cap, so populating can use populateConc Puts).
	raw   target.Target
	count *Counting
	store *backupstore.Store
	// wire counts HTTP requests by S3 operation; nil for the file target
	// and for an S3 rig made without it.
	wire *wireCounter
}

func newRig(tb testing.TB, drv target.Target) *rig {
	tb.Helper()
	tb.Cleanup(func() { _ = drv.Close() })
	c := Count(drv)
	return &rig{
		raw:   retry.Wrap(drv, retry.Options{}),
		count: c,
		store: backupstore.New(all.Wrap(c, nil), backupstore.Options{}),
	}
}

// fileRig is a file target in a temp dir.
func fileRig(tb testing.TB) *rig {
	tb.Helper()
	return newRig(tb, file.New(tb.TempDir()))
}

// s3Rig is an S3 target on a fresh versitygw bucket, opened through the
// registry with a credential secret as plinth opens it. With wire set,
// the driver talks to versitygw through a request-counting proxy.
func s3Rig(tb testing.TB, wire bool) *rig {
	tb.Helper()
	gw := testenv.VersityGW(tb)
	bucket := gw.NewBucket(tb)
	secret := gw.Secret()
	var wc *wireCounter
	if wire {
		wc = newWireCounter(tb, gw.Endpoint)
		secret["AWS_ENDPOINTS"] = wc.URL()
	}
	drv, err := all.Open(context.Background(), "s3://"+bucket+"@"+gw.Region+"/"+s3Prefix, secret)
	if err != nil {
		tb.Fatalf("open the S3 target: %v", err)
	}
	r := newRig(tb, drv)
	r.wire = wc
	return r
}

// syncResult is one sync's listing and the requests it sent.
type syncResult struct {
	listing backupstore.Listing
	calls   map[string]int64
	wire    map[string]int64 // nil without a wire counter
}

// sync runs one ListChanged from seen and returns what it sent.
func (r *rig) sync(ctx context.Context, seen map[string]backupstore.Stamp) (syncResult, error) {
	r.resetCounts()
	l, err := r.store.ListChanged(ctx, seen)
	return r.result(l), err
}

func (r *rig) resetCounts() {
	r.count.Reset()
	if r.wire != nil {
		r.wire.reset()
	}
}

func (r *rig) result(l backupstore.Listing) syncResult {
	res := syncResult{listing: l, calls: r.count.Calls()}
	if r.wire != nil {
		res.wire = r.wire.Calls()
	}
	return res
}

// apply brings seen up to date with a listing, as a caller keeping a copy
// of the remote set would.
func apply(seen map[string]backupstore.Stamp, l backupstore.Listing) {
	for _, s := range l.Loaded {
		seen[s.Name] = s.Stamp
	}
	for _, name := range l.Gone {
		delete(seen, name)
	}
}
