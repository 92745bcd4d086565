package fstarget

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

func TestPut(t *testing.T) {
	for _, key := range []string{"a/b/k", "k"} {
		fs := newMemFS()
		if err := Put(t.Context(), fs, key, []byte("data")); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		if len(fs.calls) != 4 {
			t.Fatalf("Put(%q) made calls %q, want mkdir, create, write, rename", key, fs.calls)
		}
		dir := parent(key)
		tmp := strings.Fields(fs.calls[1])[1]
		name := tmp[strings.LastIndexByte(tmp, '/')+1:]
		if parent(tmp) != dir || !target.IsTempName(name) || !strings.HasPrefix(name, key[strings.LastIndexByte(key, '/')+1:]+".tmp.") {
			t.Fatalf("temp file %q: want a temporary name for %q in %q", tmp, key, dir)
		}
		want := []string{"mkdir " + dir, "create " + tmp, "write " + tmp, "rename " + tmp + " " + key}
		if strings.Join(fs.calls, "|") != strings.Join(want, "|") {
			t.Fatalf("Put(%q) calls = %q, want %q", key, fs.calls, want)
		}
		if string(fs.files[key]) != "data" || len(fs.files) != 1 {
			t.Fatalf("files after Put(%q) = %v", key, fs.files)
		}
	}
}

// TestPutFailure checks that a failed Put removes its temporary file once
// it exists, even with ctx cancelled, and returns the failure as is.
func TestPutFailure(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name       string
		set        func(*memFS)
		wantRemove bool
	}{
		{"create", func(m *memFS) { m.failCreate = boom }, false},
		{"write", func(m *memFS) { m.failWrite = boom }, true},
		{"rename", func(m *memFS) { m.failRename = boom }, true},
	} {
		fs := newMemFS()
		tc.set(fs)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := Put(ctx, fs, "d/k", []byte("x"))
		if err != boom {
			t.Fatalf("Put with %s failing = %v, want the failure unchanged", tc.name, err)
		}
		last := fs.calls[len(fs.calls)-1]
		if removed := strings.HasPrefix(last, "remove "); removed != tc.wantRemove {
			t.Fatalf("Put with %s failing: calls %q, want a final remove: %v", tc.name, fs.calls, tc.wantRemove)
		}
		if tc.wantRemove && (fs.removeCtxErr != nil || len(fs.files) != 0) {
			t.Fatalf("remove after %s failure: ctx err %v, files left %v", tc.name, fs.removeCtxErr, fs.files)
		}
	}
}

// TestTempNamesUnique checks that concurrent Puts of one key never pick
// the same temporary name, whatever the clock says.
func TestTempNamesUnique(t *testing.T) {
	const n = 2000
	names := make(chan string, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range n / 8 {
				names <- target.NewTempName("k")
			}
		})
	}
	wg.Wait()
	close(names)
	seen := map[string]bool{}
	for name := range names {
		if seen[name] || !target.IsTempName(name) {
			t.Fatalf("NewTempName returned %q twice or not in temporary form", name)
		}
		seen[name] = true
	}
}
