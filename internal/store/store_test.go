package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type thing struct {
	A string `json:"a"`
	N int    `json:"n"`
}

func TestCRUDAndCAS(t *testing.T) {
	b := NewTestBackend(t)
	ctx := context.Background()
	k := NewKind[thing](b.Client, "things")
	if _, err := k.Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: want ErrNotFound, got %v", err)
	}
	rev, err := k.Create(ctx, "x", thing{A: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Create(ctx, "x", thing{A: "two"}); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: want ErrExists, got %v", err)
	}
	if _, err := k.Update(ctx, "x", thing{A: "new"}, rev); err != nil {
		t.Fatalf("update at current rev: %v", err)
	}
	if _, err := k.Update(ctx, "x", thing{A: "stale"}, rev); !errors.Is(err, ErrConflict) {
		t.Fatalf("update at stale rev: want ErrConflict, got %v", err)
	}
	got, _ := k.Get(ctx, "x")
	if got.Value.A != "new" {
		t.Fatalf("value = %q, want new", got.Value.A)
	}
	list, _, err := k.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "x" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := k.Delete(ctx, "x", 0); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "x", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: want ErrNotFound, got %v", err)
	}
}

func TestMutateConcurrent(t *testing.T) {
	b := NewTestBackend(t)
	ctx := context.Background()
	k := NewKind[thing](b.Client, "things")
	if _, err := k.Create(ctx, "c", thing{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := k.Mutate(ctx, "c", func(v *thing) error { v.N++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := k.Get(ctx, "c")
	if got.Value.N != 10 {
		t.Fatalf("N = %d after 10 concurrent increments, want 10", got.Value.N)
	}
}

func TestUniqueGuardOneWinner(t *testing.T) {
	b := NewTestBackend(t)
	ctx := context.Background()
	k := NewKind[thing](b.Client, "things")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("n%d", i)
			g := Unique(b.Client, "/plinth/index/pair/a/b", name, func(owner string) error {
				return fmt.Errorf("taken by %s", owner)
			})
			if _, err := k.Create(ctx, name, thing{}, g); err == nil {
				wins.Add(1)
			} else if err.Error()[:8] != "taken by" {
				t.Errorf("loser error = %v, want 'taken by ...'", err)
			}
		}(i)
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d creates won the unique index, want exactly 1", wins.Load())
	}
}

func TestWatchSeesChanges(t *testing.T) {
	b := NewTestBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := NewKind[thing](b.Client, "things")
	events := make(chan Event, 10)
	go Watch(ctx, b.Client, 0, func(e Event) { events <- e })
	time.Sleep(200 * time.Millisecond)
	if _, err := k.Create(ctx, "w", thing{}); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "w", 0); err != nil {
		t.Fatal(err)
	}
	want := []Event{{Kind: "things", Name: "w"}, {Kind: "things", Name: "w", Deleted: true}}
	for _, w := range want {
		select {
		case e := <-events:
			if e != w {
				t.Fatalf("event = %+v, want %+v", e, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event %+v within 5s", w)
		}
	}
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b, err := StartEmbedded(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKind[thing](b.Client, "things")
	if _, err := k.Create(ctx, "kept", thing{A: "v"}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	b2, err := StartEmbedded(ctx, dir, nil)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b2.Close()
	got, err := NewKind[thing](b2.Client, "things").Get(ctx, "kept")
	if err != nil || got.Value.A != "v" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
}
