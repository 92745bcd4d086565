package targettest

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

// collect runs List (or Walk) and returns the entries by key, failing the
// test on an error or a key reported twice.
func collect(t *testing.T, tg target.Target, walk bool, dir string) map[string]target.Entry {
	t.Helper()
	got := make(map[string]target.Entry)
	fn := func(e target.Entry) error {
		if _, dup := got[e.Key]; dup {
			t.Errorf("key %q reported twice", e.Key)
		}
		got[e.Key] = e
		return nil
	}
	var err error
	if walk {
		err = tg.Walk(ctxOf(t), dir, fn)
	} else {
		err = tg.List(ctxOf(t), dir, fn)
	}
	if err != nil {
		t.Fatalf("list/walk %q: %v", dir, err)
	}
	return got
}

func sortedKeys(m map[string]target.Entry) []string {
	return slices.Sorted(maps.Keys(m))
}

// tree is the fixture for the listing tests: it mixes objects, nested
// directories and names that share prefixes.
var tree = map[string]int{
	"a/x":            10,
	"a/y":            0,
	"a/sub/z":        3,
	"a/sub/deeper/w": 4,
	"ab":             5,
	"a.txt":          6,
	"abc/q":          7,
}

func putTree(t *testing.T, tg target.Target) {
	for key, n := range tree {
		mustPut(t, tg, key, payload(uint64(n), n))
	}
}

func testList(t *testing.T, tg target.Target) {
	putTree(t, tg)
	cases := map[string]map[string]bool{ // dir -> child key -> isDir
		"":      {"a": true, "ab": false, "a.txt": false, "abc": true},
		"a":     {"a/x": false, "a/y": false, "a/sub": true},
		"a/sub": {"a/sub/z": false, "a/sub/deeper": true},
	}
	for dir, want := range cases {
		got := collect(t, tg, false, dir)
		if !slices.Equal(sortedKeys(got), slices.Sorted(maps.Keys(want))) {
			t.Fatalf("List(%q) = %v, want %v", dir, sortedKeys(got), slices.Sorted(maps.Keys(want)))
		}
		for key, isDir := range want {
			e := got[key]
			if e.IsDir != isDir {
				t.Fatalf("List(%q): %q IsDir = %v, want %v", dir, key, e.IsDir, isDir)
			}
			if !isDir && e.Size != int64(tree[key]) {
				t.Fatalf("List(%q): %q Size = %d, want %d", dir, key, e.Size, tree[key])
			}
		}
	}
}

func testListMissing(t *testing.T, tg target.Target) {
	if got := collect(t, tg, false, ""); len(got) != 0 {
		t.Fatalf("List of an empty root = %v, want nothing", sortedKeys(got))
	}
	putTree(t, tg)
	for _, dir := range []string{"missing", "a/missing/deeper", "a/x"} {
		if got := collect(t, tg, false, dir); len(got) != 0 {
			t.Fatalf("List(%q) = %v, want no entries", dir, sortedKeys(got))
		}
		if got := collect(t, tg, true, dir); len(got) != 0 {
			t.Fatalf("Walk(%q) = %v, want no entries", dir, sortedKeys(got))
		}
	}
}

func testListCallbackError(t *testing.T, tg target.Target) {
	putTree(t, tg)
	stop := errors.New("stop here")
	calls := 0
	err := tg.List(ctxOf(t), "a", func(target.Entry) error { calls++; return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("List returned %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Fatalf("List called fn %d times after it failed, want 1", calls)
	}
	calls = 0
	err = tg.Walk(ctxOf(t), "", func(target.Entry) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Walk returned %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func testWalk(t *testing.T, tg target.Target) {
	putTree(t, tg)
	cases := map[string][]string{
		"":      {"a.txt", "a/sub/deeper/w", "a/sub/z", "a/x", "a/y", "ab", "abc/q"},
		"a":     {"a/sub/deeper/w", "a/sub/z", "a/x", "a/y"},
		"a/sub": {"a/sub/deeper/w", "a/sub/z"},
	}
	for dir, want := range cases {
		got := collect(t, tg, true, dir)
		if !slices.Equal(sortedKeys(got), want) {
			t.Fatalf("Walk(%q) = %v, want %v", dir, sortedKeys(got), want)
		}
		for key, e := range got {
			if e.IsDir || e.Size != int64(tree[key]) {
				t.Fatalf("Walk(%q): %+v, want an object of size %d", dir, e, tree[key])
			}
		}
	}
}
