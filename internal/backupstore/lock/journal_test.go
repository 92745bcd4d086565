package lock

import (
	"context"
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/target/mem"
)

type recordingJournal struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (j *recordingJournal) Add(key string)    { j.mu.Lock(); j.keys[key] = true; j.mu.Unlock() }
func (j *recordingJournal) Remove(key string) { j.mu.Lock(); delete(j.keys, key); j.mu.Unlock() }

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
