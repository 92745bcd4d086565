package backup

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/mem"
)

func TestLockJournalRemovesOnlyAPreviousProcesssLocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.json")
	tgt := mem.New()
	for _, k := range []string{"locks/lock-old.lck", "locks/lock-new.lck"} {
		if err := tgt.Put(ctx, k, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	first, err := OpenLockJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.ForTarget("t").Add("locks/lock-old.lck"); err != nil { // then the process "crashes"
		t.Fatal(err)
	}

	second, err := OpenLockJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.ForTarget("t").Add("locks/lock-new.lck"); err != nil { // held by the running process
		t.Fatal(err)
	}
	if err := second.Recover(ctx, "t", tgt); err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.Stat(ctx, "locks/lock-old.lck"); !target.IsNotFound(err) {
		t.Fatalf("the crashed process's lock file is still there: %v", err)
	}
	if _, err := tgt.Stat(ctx, "locks/lock-new.lck"); err != nil {
		t.Fatalf("the running process's lock file was removed: %v", err)
	}
	third, _ := OpenLockJournal(path)
	if keys := third.stale["t"]; len(keys) != 1 || keys[0] != "locks/lock-new.lck" {
		t.Fatalf("journal after recovery = %v, want only the live key", third.stale)
	}
}
