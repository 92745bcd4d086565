package backup

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

// countingTarget counts the Close calls of an in-memory target (which fails
// every call after Close, as a real driver does).
type countingTarget struct {
	*mem.Target
	closes atomic.Int32
}

func (c *countingTarget) Close() error {
	c.closes.Add(1)
	return c.Target.Close()
}

// gatedSource is an image source whose reads wait until open is closed;
// entered is closed at the first read.
type gatedSource struct {
	*backupstore.BytesSource
	once    sync.Once
	entered chan struct{}
	open    chan struct{}
}

func (g *gatedSource) ReadAt(p []byte, off int64) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	return g.BytesSource.ReadAt(p, off)
}

// refStores is a Stores over a real etcd whose drivers are counting
// in-memory targets, one per URL.
func refStores(t *testing.T) (*Stores, func(url string) *countingTarget) {
	t.Helper()
	cli := store.NewTestBackend(t).Client
	var mu sync.Mutex
	byURL := map[string]*countingTarget{}
	s := &Stores{Targets: store.NewKind[model.BackupTarget](cli, model.KindBackupTargets),
		Secrets: store.NewKind[model.Secret](cli, model.KindSecrets),
		Open: func(_ context.Context, url string, _ map[string]string) (target.Target, error) {
			mu.Lock()
			defer mu.Unlock()
			byURL[url] = &countingTarget{Target: mem.New()}
			return byURL[url], nil
		}}
	return s, func(url string) *countingTarget {
		mu.Lock()
		defer mu.Unlock()
		return byURL[url]
	}
}

func TestReplacedDriverClosedAfterLastOperation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, driver := refStores(t)
	if _, err := s.Targets.Create(ctx, "t1", model.BackupTarget{Name: "t1", URL: "mem://a"}); err != nil {
		t.Fatal(err)
	}
	st, _, release, err := s.Acquire(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	src := &gatedSource{BytesSource: &backupstore.BytesSource{Data: make([]byte, 3<<20)},
		entered: make(chan struct{}), open: make(chan struct{})}
	src.Data[0] = 1
	done := make(chan error, 1)
	go func() {
		_, err := st.Backup(ctx, backupstore.BackupRequest{Name: "img", Source: src}, func(backupstore.Progress) {})
		done <- err
	}()
	<-src.entered // the backup is under way on the driver of mem://a

	if _, err := s.Targets.Mutate(ctx, "t1", func(bt *model.BackupTarget) error { bt.URL = "mem://b"; return nil }); err != nil {
		t.Fatal(err)
	}
	st2, bt2, release2, err := s.Acquire(ctx, "t1")
	if err != nil || st2 == st || bt2.URL != "mem://b" {
		t.Fatalf("after the URL change: store reused %v, url %s, err %v", st2 == st, bt2.URL, err)
	}
	release2()
	if n := driver("mem://a").closes.Load(); n != 0 {
		t.Fatalf("the old driver was closed %d times under an in-flight backup", n)
	}

	close(src.open)
	if err := <-done; err != nil {
		t.Fatalf("the in-flight backup on the old driver failed: %v", err)
	}
	if n := driver("mem://a").closes.Load(); n != 0 {
		t.Fatalf("the old driver was closed %d times before its last operation released it", n)
	}
	release()
	release() // a second call does nothing
	if n := driver("mem://a").closes.Load(); n != 1 {
		t.Fatalf("the old driver was closed %d times after its last release, want 1", n)
	}
	if n := driver("mem://b").closes.Load(); n != 0 {
		t.Fatalf("the current driver was closed %d times while cached", n)
	}

	// A dropped target's driver closes when its last holder releases it.
	st3, _, release3, err := s.Acquire(ctx, "t1")
	if err != nil || st3 != st2 {
		t.Fatalf("the cached store was not reused: %v", err)
	}
	s.Drop("t1")
	if err := st3.Target().Check(ctx); err != nil {
		t.Fatalf("a held driver stopped working after Drop: %v", err)
	}
	if n := driver("mem://b").closes.Load(); n != 0 {
		t.Fatalf("a held driver was closed %d times by Drop", n)
	}
	release3()
	if n := driver("mem://b").closes.Load(); n != 1 {
		t.Fatalf("the dropped driver was closed %d times after its last release, want 1", n)
	}
}

func TestAcquireErrorReleaseIsNoop(t *testing.T) {
	s, _ := refStores(t)
	_, _, release, err := s.Acquire(context.Background(), "missing")
	if err == nil || release == nil {
		t.Fatalf("err %v, release nil %v", err, release == nil)
	}
	release()
}
