package mem_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

func TestConformance(t *testing.T) {
	targettest.Run(t, func(*testing.T) target.Target { return mem.New() })
}

func TestClockAndKeys(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := mem.New(mem.WithClock(func() time.Time { return at }))
	ctx := context.Background()
	for _, k := range []string{"b/2", "a"} {
		if err := m.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	e, err := m.Stat(ctx, "b/2")
	if err != nil || !e.ModTime.Equal(at) {
		t.Fatalf("Stat = %+v, %v; want ModTime %v from the clock", e, err, at)
	}
	if got := m.Keys(); !slices.Equal(got, []string{"a", "b/2"}) {
		t.Fatalf("Keys = %v", got)
	}
}

func TestClosed(t *testing.T) {
	m := mem.New()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(context.Background(), "k", nil); !target.IsPermanent(err) {
		t.Fatalf("Put after Close = %v, want a permanent error", err)
	}
}

// TestCallbackMayReenter checks List's fn can call back into the target
// (no lock is held while it runs).
func TestCallbackMayReenter(t *testing.T) {
	m := mem.New()
	ctx := context.Background()
	for _, k := range []string{"d/1", "d/2"} {
		if err := m.Put(ctx, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Walk(ctx, "d", func(e target.Entry) error { return m.Delete(ctx, e.Key) })
	if err != nil || len(m.Keys()) != 0 {
		t.Fatalf("Walk deleting each key: %v, left %v", err, m.Keys())
	}
}
