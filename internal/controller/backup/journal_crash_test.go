package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// A process that holds a backup lock on a file target and crashes leaves
// the lock file; the next process start removes it through the journal,
// so a delete can lock the store at once instead of waiting for expiry.
func TestLockJournalCleansACrashedProcesssLocksAtRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lock-journal.json")
	tgt := file.New(t.TempDir())
	// Long refresh and expiry: the "crashed" holder never touches its file
	// again, and only the journal can make the store usable quickly.
	cfg := lock.Config{Expiry: time.Hour, Refresh: time.Hour, CheckWait: 20 * time.Millisecond}

	crashed, err := OpenLockJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	l := lock.New(tgt, "locks", cfg)
	l.SetJournal(crashed.ForTarget("t"))
	held, err := l.TryAcquire(ctx, lock.Backup)
	if err != nil {
		t.Fatal(err)
	}
	// The process dies here: no Release. Its lock blocks deletes.
	if _, err := lock.New(tgt, "locks", cfg).TryAcquire(ctx, lock.Delete); !errors.Is(err, lock.ErrConflict) {
		t.Fatalf("delete lock while the crashed backup lock exists = %v, want ErrConflict", err)
	}

	restarted, err := OpenLockJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Recover(ctx, "t", tgt); err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.Stat(ctx, held.Key()); !target.IsNotFound(err) {
		t.Fatalf("crashed process's lock file %s still there after recovery: %v", held.Key(), err)
	}
	del, err := lock.New(tgt, "locks", cfg).TryAcquire(ctx, lock.Delete)
	if err != nil {
		t.Fatalf("delete lock after recovery: %v", err)
	}
	_ = del.Release(ctx)
	held.Release(ctx) // stop the abandoned refresher; its file is gone already
}

// The journal promises durability: a save that fails is an error for the
// caller, never silently dropped.
func TestLockJournalReportsSaveErrors(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := OpenLockJournal(filepath.Join(dataDir, "lock-journal.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The data directory vanishes and a file takes its place: no save can work.
	if err := os.Remove(dataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dataDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := j.ForTarget("t").Add("locks/lock-1.lck"); err == nil {
		t.Fatal("Add succeeded although the journal cannot be written")
	}
	if len(j.live["t"]) != 0 {
		t.Fatalf("an unrecorded key is listed as held: %v", j.live["t"])
	}
	// Nothing to recover: no target call and no write, so no error.
	if err := j.Recover(context.Background(), "t", file.New(t.TempDir())); err != nil {
		t.Fatalf("Recover with nothing to recover: %v", err)
	}
}

// Every save leaves a complete journal, never the temp file.
func TestLockJournalSaveLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenLockJournal(filepath.Join(dir, "j.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.ForTarget("t").Add("locks/a.lck"); err != nil {
		t.Fatal(err)
	}
	if err := j.ForTarget("t").Remove("locks/a.lck"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "j.json" {
		t.Fatalf("journal directory holds %v, want only j.json", entries)
	}
}
