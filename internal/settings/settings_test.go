package settings

import (
	"context"
	"errors"
	"testing"

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
