package lock

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

type recordingJournal struct {
	mu     sync.Mutex
	keys   map[string]bool
	addErr error
}

func (j *recordingJournal) Add(key string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.addErr != nil {
		return j.addErr
	}
	j.keys[key] = true
	return nil
}

func (j *recordingJournal) Remove(key string) error {
	j.mu.Lock()
	delete(j.keys, key)
	j.mu.Unlock()
	return nil
}

// A lock file the journal could not record would survive a crash
// unnoticed: the lock must not be written and TryAcquire must fail.
func TestJournalFailureFailsAcquireAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	diskFull := errors.New("no space left on device")
	l := New(tgt, "locks", fastConfig())
	l.SetJournal(&recordingJournal{keys: map[string]bool{}, addErr: diskFull})
	h, err := l.TryAcquire(ctx, Backup)
	if !errors.Is(err, diskFull) {
		if h != nil {
			_ = h.Release(ctx)
		}
		t.Fatalf("TryAcquire with a failing journal = %v, want the journal's error", err)
	}
	var n int
	_ = tgt.List(ctx, "locks", func(target.Entry) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d lock files written although the journal failed", n)
	}
}

func TestJournalTracksLiveLockFiles(t *testing.T) {
	ctx := context.Background()
	tgt := mem.New()
	j := &recordingJournal{keys: map[string]bool{}}
	l := New(tgt, "locks", fastConfig())
	l.SetJournal(j)
	h, err := l.TryAcquire(ctx, Backup)
	if err != nil {
		t.Fatal(err)
	}
	if !j.keys[h.Key()] {
		t.Fatalf("held lock %s is not in the journal: %v", h.Key(), j.keys)
	}
	if _, err := tgt.Stat(ctx, h.Key()); err != nil {
		t.Fatalf("lock file missing: %v", err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if len(j.keys) != 0 {
		t.Fatalf("journal still lists %v after release", j.keys)
	}
}
