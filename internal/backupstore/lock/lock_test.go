package lock

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

const dir = "backupstore/volumes/22/fc/BACKINGIMAGE/locks"

func fastConfig() Config {
	return Config{Expiry: 2 * time.Second, Refresh: 100 * time.Millisecond, CheckWait: 20 * time.Millisecond}
}

// skewClock is a clock the test can move, for stale-lock cases.
type skewClock struct{ offset atomic.Int64 }

func (c *skewClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func lockFiles(t *testing.T, tgt target.Target) []string {
	t.Helper()
	var keys []string
	if err := tgt.List(context.Background(), dir, func(e target.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSameTypeSharesOtherTypeConflicts(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	l := New(tgt, dir, fastConfig())
	b1, err := l.TryAcquire(ctx, Backup)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := l.TryAcquire(ctx, Restore)
	if err != nil {
		t.Fatalf("a restore lock must coexist with a backup lock: %v", err)
	}
	if _, err := l.TryAcquire(ctx, Delete); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete while backups hold the store: %v, want ErrConflict", err)
	}
	if n := len(lockFiles(t, tgt)); n != 2 {
		t.Fatalf("%d lock files after a failed attempt, want 2 (the loser removes its own)", n)
	}
	// The file body is Longhorn's JSON.
	data, err := tgt.Get(ctx, b1.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^` + dir + `/lock-[0-9a-f]{16}\.lck$`).MatchString(b1.Key()) {
		t.Fatalf("lock key %s", b1.Key())
	}
	name := strings.TrimSuffix(b1.Key()[len(dir)+1:], ".lck")
	if string(data) != `{"Name":"`+name+`","Type":1,"Acquired":true}` {
		t.Fatalf("lock body %s", data)
	}
	for _, h := range []*Held{b1, b2} {
		if err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	d, err := l.TryAcquire(ctx, Delete)
	if err != nil {
		t.Fatalf("delete after release: %v", err)
	}
	if _, err := l.TryAcquire(ctx, Backup); !errors.Is(err, ErrConflict) {
		t.Fatalf("backup while a delete holds the store: %v, want ErrConflict", err)
	}
	_ = d.Release(ctx)
	if n := len(lockFiles(t, tgt)); n != 0 {
		t.Fatalf("%d lock files left after releases", n)
	}
}

func TestExpiredLockIsIgnored(t *testing.T) {
	ctx := context.Background()
	clock := &skewClock{}
	tgt := mem.New(mem.WithClock(clock.now))
	clock.offset.Store(int64(-time.Hour)) // a holder that died an hour ago
	stale := `{"Name":"lock-00000000000000aa","Type":2,"Acquired":true}`
	if err := tgt.Put(ctx, dir+"/lock-00000000000000aa.lck", []byte(stale)); err != nil {
		t.Fatal(err)
	}
	clock.offset.Store(0)
	h, err := New(tgt, dir, fastConfig()).TryAcquire(ctx, Backup)
	if err != nil {
		t.Fatalf("an expired delete lock must not block: %v", err)
	}
	_ = h.Release(ctx)
}

func TestUnreadableLockFailsInsteadOfBeingSkipped(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	if err := tgt.Put(ctx, dir+"/lock-00000000000000bb.lck", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	_, err := New(tgt, dir, fastConfig()).TryAcquire(ctx, Delete)
	if err == nil || errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "lock-00000000000000bb") {
		t.Fatalf("garbage lock file: %v, want a read error naming it", err)
	}
}

func TestAcquireWaitsForRelease(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	l := New(tgt, dir, fastConfig())
	d, err := l.TryAcquire(ctx, Delete)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Acquire(ctx, Backup, 150*time.Millisecond); !errors.Is(err, ErrConflict) {
		t.Fatalf("Acquire with a short max wait: %v, want ErrConflict", err)
	}
	time.AfterFunc(300*time.Millisecond, func() { _ = d.Release(context.Background()) })
	h, waited, err := l.Acquire(ctx, Backup, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if waited < 250*time.Millisecond {
		t.Fatalf("waited %s, want about 300ms", waited)
	}
	_ = h.Release(ctx)
}

func TestRefreshBumpsMtimeAndLossCancels(t *testing.T) {
	ctx := context.Background()
	ft := faulty.Wrap(mem.New())
	cfg := fastConfig()
	cfg.Expiry = 600 * time.Millisecond
	h, err := New(ft, dir, cfg).TryAcquire(ctx, Backup)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ft.Stat(ctx, h.Key())
	time.Sleep(3 * cfg.Refresh)
	later, _ := ft.Stat(ctx, h.Key())
	if !later.ModTime.After(first.ModTime) {
		t.Fatalf("refresh did not bump the mtime: %v then %v", first.ModTime, later.ModTime)
	}
	ft.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: dir})
	select {
	case <-h.Context().Done():
	case <-time.After(5 * cfg.Expiry):
		t.Fatal("lock whose refreshes fail was not declared lost")
	}
	if cause := context.Cause(h.Context()); !errors.Is(cause, ErrLost) {
		t.Fatalf("cause %v, want ErrLost", cause)
	}
	_ = h.Release(ctx)
}

func TestOrdering(t *testing.T) {
	t0 := time.Now()
	p := func(name string, acquired bool, at time.Duration) peer {
		return peer{body: fileBody{Name: name, Acquired: acquired}, modTime: t0.Add(at)}
	}
	cases := []struct {
		a, b peer
		want bool
	}{
		{p("lock-b", true, time.Second), p("lock-a", false, 0), true},  // acquired first
		{p("lock-b", false, 0), p("lock-a", false, time.Second), true}, // then older
		{p("lock-a", false, 0), p("lock-b", false, 0), true},           // then name
		{p("lock-b", false, 0), p("lock-a", false, 0), false},
	}
	for i, c := range cases {
		if got := sortsBefore(c.a, c.b); got != c.want {
			t.Errorf("case %d: sortsBefore = %v", i, got)
		}
	}
	var body fileBody
	if err := json.Unmarshal(encodeBody("lock-x", Delete, false), &body); err != nil || body.Type != 2 {
		t.Fatalf("body %+v %v", body, err)
	}
}
