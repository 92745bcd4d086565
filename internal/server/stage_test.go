package server

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestClearStageEmptiesWhatACrashLeft: files and folders staged by a run
// that died are gone at start-up, and the folder exists afterwards.
func TestClearStageEmptiesWhatACrashLeft(t *testing.T) {
	data := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := clearStage(data, log)
	if err != nil || dir != filepath.Join(data, "staging") {
		t.Fatalf("clearStage on a new data dir: %q, %v", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "disk-uuid", "img-u1"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "img-u1.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := clearStage(data, log); err != nil {
		t.Fatal(err)
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Fatalf("staging folder after start-up holds %v (%v)", left, err)
	}
}
