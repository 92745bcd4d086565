package fstarget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

// runOnce is a driver's run function without retries: it runs the
// listing and wraps its error the way a driver's classifier does.
func runOnce(r DirReader) func(ctx context.Context, op, dir string, l *Listing) error {
	return func(ctx context.Context, op, dir string, l *Listing) error {
		if err := l.Run(ctx, r); err != nil {
			return target.NewError(op, dir, target.KindTransient, fmt.Errorf("server: %w", err))
		}
		return nil
	}
}

func collect(t *testing.T, r DirReader, dir string, recursive bool) []string {
	t.Helper()
	var got []string
	err := List(t.Context(), target.OpList, dir, recursive, func(e target.Entry) error {
		s := e.Key
		if e.IsDir {
			s += "/"
		} else {
			s += fmt.Sprintf("(%d)", e.Size)
		}
		got = append(got, s)
		return nil
	}, runOnce(r))
	if err != nil {
		t.Fatalf("List(%q, recursive %v): %v", dir, recursive, err)
	}
	slices.Sort(got)
	return got
}

func TestListAndWalk(t *testing.T) {
	fs := newMemFS("a/x", "a/b/yy", "a/b/k.tmp.123", "c", "c.tmp.9")
	for _, tc := range []struct {
		dir       string
		recursive bool
		want      string
	}{
		{"", false, "a/ c(1)"},
		{"a", false, "a/b/ a/x(3)"},
		{"a/b", false, "a/b/yy(6)"},
		{"", true, "a/b/yy(6) a/x(3) c(1)"},
		{"a", true, "a/b/yy(6) a/x(3)"},
		{"missing", false, ""},
		{"missing", true, ""},
	} {
		got := strings.Join(collect(t, fs, tc.dir, tc.recursive), " ")
		if got != tc.want {
			t.Errorf("List(%q, recursive %v) = %q, want %q", tc.dir, tc.recursive, got, tc.want)
		}
	}
}

func TestListEntryFields(t *testing.T) {
	fs := newMemFS("d/f")
	var got []target.Entry
	err := List(t.Context(), target.OpList, "", true, func(e target.Entry) error { got = append(got, e); return nil }, runOnce(fs))
	if err != nil || len(got) != 1 || got[0].Key != "d/f" || got[0].Size != 3 || got[0].ModTime.Unix() != 2 || got[0].IsDir {
		t.Fatalf("Walk = %+v, %v", got, err)
	}
	got = nil
	err = List(t.Context(), target.OpList, "", false, func(e target.Entry) error { got = append(got, e); return nil }, runOnce(fs))
	if err != nil || len(got) != 1 || !got[0].IsDir || got[0].Size != 0 || !got[0].ModTime.IsZero() {
		t.Fatalf("List of a directory = %+v, %v; want IsDir with no size or time", got, err)
	}
}

func TestListInvalidDir(t *testing.T) {
	called := false
	err := List(t.Context(), target.OpWalk, "a/../b", true, func(target.Entry) error { return nil },
		func(context.Context, string, string, *Listing) error { called = true; return nil })
	if !target.IsPermanent(err) || called {
		t.Fatalf("List of an invalid dir = %v (run called: %v), want a permanent error before run", err, called)
	}
}

// TestListCallbackError checks that fn's own error comes back as is,
// through the driver's classification, and that the listing then counts
// as started.
func TestListCallbackError(t *testing.T) {
	stop := errors.New("stop here")
	var listing *Listing
	run := func(ctx context.Context, op, dir string, l *Listing) error {
		listing = l
		if l.Started() {
			t.Error("Started before Run")
		}
		return runOnce(newMemFS("x", "y"))(ctx, op, dir, l)
	}
	n := 0
	err := List(t.Context(), target.OpList, "", false, func(target.Entry) error { n++; return stop }, run)
	if err != stop || n != 1 {
		t.Fatalf("List with fn failing = %v after %d calls, want exactly fn's error after 1", err, n)
	}
	if !listing.Started() {
		t.Fatal("Started is false after an entry was reported")
	}
}

func TestListReaderError(t *testing.T) {
	boom := errors.New("boom")
	err := List(t.Context(), target.OpList, "", false, func(target.Entry) error { return nil }, runOnce(failingReader{boom}))
	if !errors.Is(err, boom) || !target.IsTransient(err) {
		t.Fatalf("List with a failing reader = %v, want the driver's classified error", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) ReadDir(context.Context, string, func(DirEntry) error) error { return f.err }

func TestHidden(t *testing.T) {
	for name, want := range map[string]bool{".": true, "..": true, "k.tmp.1": true, "k": false, "k.tmp.": false, ".tmp.1": false} {
		if Hidden(name) != want {
			t.Errorf("Hidden(%q) = %v, want %v", name, !want, want)
		}
	}
}
