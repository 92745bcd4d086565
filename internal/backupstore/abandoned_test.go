package backupstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// abandonedStore holds a complete backup "a" and the in-progress
// placeholder of "b", whose writer failed after uploading some blocks.
func abandonedStore(t *testing.T) (*Store, *faulty.Target, *testClock) {
	t.Helper()
	clock := &testClock{now: time.Now()}
	ft := faulty.Wrap(mem.New(mem.WithClock(clock.Now)))
	opts := testOptions()
	opts.Concurrency = 1
	st := New(ft, opts)
	backupBytes(t, st, "bi-a", randomBytes(1, 2*mib), nil, "")
	n := countPuts(ft, format.BlocksDir)
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: format.BlocksDir, Kind: target.KindPermanent,
		Match: func(string, string) bool { return n.Load() > 2 }})
	if _, err := st.Backup(context.Background(), BackupRequest{Name: "bi-b",
		Source: &BytesSource{Data: randomBytes(2, 8*mib)}}, nil); err == nil {
		t.Fatal("the backup of bi-b was meant to fail")
	}
	ft.Reset()
	return st, ft, clock
}

func TestGCCollectsTheBlocksOfAnAbandonedInProgressBackup(t *testing.T) {
	st, ft, clock := abandonedStore(t)
	if got := len(poolKeys(t, ft)); got != 3 {
		t.Fatalf("setup: %d blocks in the pool, want a's 1 and b's 2", got)
	}
	res, err := st.GC(context.Background())
	if err != nil || !strings.Contains(res.Skipped, "in progress") {
		t.Fatalf("a fresh in-progress backup must hold GC off: %+v, %v", res, err)
	}
	clock.advance(2 * testOptions().Lock.Expiry)
	res, err = st.GC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" || res.Removed != 2 || res.Kept != 1 {
		t.Fatalf("GC after the placeholder was abandoned: %+v; want b's 2 blocks removed and a's kept", res)
	}
}

func TestGCKeepsAnInProgressBackupWithALiveLock(t *testing.T) {
	st, ft, clock := abandonedStore(t)
	clock.advance(2 * testOptions().Lock.Expiry)
	// A backup lock another installation refreshes right now (not yet
	// acquired, and its name sorts last, so our delete lock wins the store).
	key := format.LockDir + "/lock-ffffffffffffffff.lck"
	if err := ft.Put(context.Background(), key, []byte(`{"Name":"lock-ffffffffffffffff","Type":1,"Acquired":false}`)); err != nil {
		t.Fatal(err)
	}
	res, err := st.GC(context.Background())
	if err != nil || !strings.Contains(res.Skipped, "in progress") || res.Removed != 0 {
		t.Fatalf("with a live backup lock the in-progress backup must be left alone: %+v, %v", res, err)
	}
}
