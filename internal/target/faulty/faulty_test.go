package faulty_test

import (
	"context"
	"errors"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

// TestConformance checks a wrapper without rules is transparent.
func TestConformance(t *testing.T) {
	targettest.Run(t, func(*testing.T) target.Target { return faulty.Wrap(mem.New()) })
}

func setup(t *testing.T, keys ...string) (*faulty.Target, *mem.Target) {
	t.Helper()
	m := mem.New()
	for _, k := range keys {
		if err := m.Put(context.Background(), k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	return faulty.Wrap(m), m
}

func TestFailOpAlways(t *testing.T) {
	f, _ := setup(t, "a/1")
	f.FailOp(target.OpList, target.KindTransient)
	for range 3 {
		err := f.List(context.Background(), "a", func(target.Entry) error { return nil })
		if !target.IsTransient(err) || !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("List = %v, want the injected transient error", err)
		}
	}
	if _, err := f.Get(context.Background(), "a/1"); err != nil {
		t.Fatalf("Get is not covered by the rule but failed: %v", err)
	}
	if f.Calls(target.OpList) != 3 || f.Calls(target.OpGet) != 1 {
		t.Fatalf("Calls list=%d get=%d, want 3 and 1", f.Calls(target.OpList), f.Calls(target.OpGet))
	}
}

func TestTimesPrefixAndMatch(t *testing.T) {
	f, _ := setup(t)
	ctx := context.Background()
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: "blocks/", Times: 2, Kind: target.KindPermanent})
	f.Add(faulty.Rule{Match: func(op, key string) bool { return key == "x" }, Kind: target.KindNotFound})
	if err := f.Put(ctx, "cfg/1", nil); err != nil {
		t.Fatalf("Put outside the prefix: %v", err)
	}
	for i := range 2 {
		if err := f.Put(ctx, "blocks/1", nil); !target.IsPermanent(err) {
			t.Fatalf("Put %d under the prefix = %v, want permanent", i, err)
		}
	}
	if err := f.Put(ctx, "blocks/1", nil); err != nil {
		t.Fatalf("Put after the rule's 2 failures: %v", err)
	}
	if _, err := f.Stat(ctx, "x"); !target.IsNotFound(err) {
		t.Fatalf("Stat(x) = %v, want the predicate's not-found", err)
	}
	f.Reset()
	if _, err := f.Stat(ctx, "x"); !target.IsNotFound(err) || f.Calls(target.OpStat) != 1 {
		t.Fatalf("after Reset: Stat(x) = %v (a real not-found expected), calls %d", err, f.Calls(target.OpStat))
	}
}

func TestAfterStoresThenFails(t *testing.T) {
	f, m := setup(t)
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, After: true, Times: 1})
	if err := f.Put(context.Background(), "k", []byte("v")); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("Put = %v, want the injected error", err)
	}
	if got, err := m.Get(context.Background(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("the wrapped target holds %q, %v; want the put to have landed", got, err)
	}
}

func TestCorruptGet(t *testing.T) {
	f, m := setup(t, "k")
	f.Add(faulty.Rule{Ops: []string{target.OpGet}, Corrupt: func(b []byte) []byte { b[0] ^= 1; return b }})
	got, err := f.Get(context.Background(), "k")
	if err != nil || string(got) != "j" {
		t.Fatalf("Get = %q, %v; want corrupted %q", got, err, "j")
	}
	if orig, _ := m.Get(context.Background(), "k"); string(orig) != "k" {
		t.Fatalf("corruption leaked into the store: %q", orig)
	}
}

func TestPartialListing(t *testing.T) {
	f, _ := setup(t, "d/1", "d/2", "d/3")
	myErr := errors.New("eio")
	f.Add(faulty.Rule{Ops: []string{target.OpWalk}, Entries: 2, Err: myErr})
	n := 0
	err := f.Walk(context.Background(), "d", func(target.Entry) error { n++; return nil })
	if !errors.Is(err, myErr) || !target.IsTransient(err) || n != 2 {
		t.Fatalf("Walk = %v after %d entries, want the injected transient error after 2", err, n)
	}
}
