package settings

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name, value string
		ok          bool
	}{
		{BackupCompression, "lz4", true},
		{BackupCompression, "zip", false},
		{BackupConcurrentLimit, "0", false},
		{BackupConcurrentLimit, "x", false},
		{BackupConcurrentLimit, "8", true},
		{StorageMinimalAvailablePercentage, "0", true},
		{StorageMinimalAvailablePercentage, "100", true},
		{StorageMinimalAvailablePercentage, "101", false},
		{StorageMinimalAvailablePercentage, "-1", false},
		{ScrubInterval, "168", true},
		{ScrubInterval, "0", true},
		{ScrubInterval, "2s", true},
		{ScrubInterval, "1h30m", true},
		{ScrubInterval, "-1", false},
		{ScrubInterval, "-2s", false},
		{ScrubInterval, "weekly", false},
		{ScrubRateMB, "64", true},
		{ScrubRateMB, "0", false},
	}
	for _, c := range cases {
		if err := Validate(c.name, c.value); (err == nil) != c.ok {
			t.Errorf("Validate(%s, %q) = %v, want ok=%v", c.name, c.value, err, c.ok)
		}
	}
	if err := Validate("nope", "1"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown setting: %v", err)
	}
}

func TestStoreDefaultsAndSet(t *testing.T) {
	b := store.NewTestBackend(t)
	s := NewStore(store.NewKind[model.Setting](b.Client, model.KindSettings))
	ctx := context.Background()
	if v, _ := s.Get(ctx, BackupCompression); v != "lz4" {
		t.Fatalf("default = %q, want lz4", v)
	}
	if err := s.Set(ctx, BackupCompression, "gzip"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, BackupCompression, "none"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(ctx, BackupCompression); v != "none" {
		t.Fatalf("after set = %q, want none", v)
	}
	if err := s.Set(ctx, BackupConcurrentLimit, "-1"); err == nil {
		t.Fatal("invalid value accepted")
	}
}

func TestScrubSettings(t *testing.T) {
	b := store.NewTestBackend(t)
	s := NewStore(store.NewKind[model.Setting](b.Client, model.KindSettings))
	ctx := context.Background()
	if d := s.ScrubInterval(ctx); d != 168*time.Hour {
		t.Fatalf("default interval = %v, want 168h", d)
	}
	if n := s.Int(ctx, ScrubRateMB); n != 64 {
		t.Fatalf("default rate = %d, want 64", n)
	}
	for v, want := range map[string]time.Duration{"2s": 2 * time.Second, "0": 0, "24": 24 * time.Hour} {
		if err := s.Set(ctx, ScrubInterval, v); err != nil {
			t.Fatal(err)
		}
		if d := s.ScrubInterval(ctx); d != want {
			t.Fatalf("interval %q = %v, want %v", v, d, want)
		}
	}
}
