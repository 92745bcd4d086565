package backupstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target/all"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// Deleting a backup on a file target removes its <name>/ directory, as
// Longhorn does: an empty one would list as a backup Longhorn cannot load.
// The target is wrapped as the server wraps it, so the decorators must
// pass the directory removal through.
func TestDeleteRemovesTheEmptiedBackupDirectory(t *testing.T) {
	root := t.TempDir()
	st := New(all.Wrap(file.New(root), nil), testOptions())
	backupBytes(t, st, "img-a", randomBytes(1, 3*mib), nil, "lz4")
	backupBytes(t, st, "img-b", randomBytes(2, 3*mib), nil, "lz4")
	dirOf := func(name string) string { return filepath.Join(root, filepath.FromSlash(format.ConfigsDir), name) }
	if _, err := os.Stat(dirOf("img-a")); err != nil {
		t.Fatalf("backup directory missing before delete: %v", err)
	}
	if _, err := st.Delete(context.Background(), "img-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dirOf("img-a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted backup's directory still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dirOf("img-b"), format.ConfigFile)); err != nil {
		t.Fatalf("the other backup was touched: %v", err)
	}
	// What Longhorn sees: one directory per backup.
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(format.ConfigsDir)))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "img-b" {
		t.Fatalf("backup directories after delete = %v, want only img-b", entries)
	}
}

// A backup directory someone wrote into meanwhile is left in place and the
// delete still succeeds.
func TestDeleteKeepsABackupDirectoryThatIsNotEmpty(t *testing.T) {
	root := t.TempDir()
	st := New(all.Wrap(file.New(root), nil), testOptions())
	backupBytes(t, st, "img-a", randomBytes(1, 3*mib), nil, "lz4")
	stray := filepath.Join(root, filepath.FromSlash(format.ConfigsDir), "img-a", "other-writer")
	if err := os.WriteFile(stray, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(context.Background(), "img-a"); err != nil {
		t.Fatalf("delete with a non-empty backup directory: %v", err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("a file someone else wrote was removed: %v", err)
	}
}
