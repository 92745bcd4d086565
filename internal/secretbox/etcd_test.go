package secretbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/secretbox"
	"github.com/plinth-storage/plinth/internal/store"
)

// sealedSecrets is the secrets kind of a real etcd, sealed with a new key file.
func sealedSecrets(t *testing.T) (*store.Backend, *store.Kind[model.Secret], *secretbox.Keyring, string) {
	t.Helper()
	b := store.NewTestBackend(t)
	path := filepath.Join(t.TempDir(), "secrets.key")
	ring, _, err := secretbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, store.NewKind[model.Secret](b.Client, model.KindSecrets, store.WithCodec(ring)), ring, path
}

func rawValue(t *testing.T, b *store.Backend, key string) []byte {
	t.Helper()
	resp, err := b.Client.Get(context.Background(), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw get %s: %v %v", key, resp, err)
	}
	return resp.Kvs[0].Value
}

func TestSecretValuesAreNotInEtcd(t *testing.T) {
	ctx := context.Background()
	b, kind, _, _ := sealedSecrets(t)
	sec := model.Secret{Name: "creds", Data: map[string]string{"AWS_SECRET_ACCESS_KEY": "correct-horse-battery-staple"}}
	if _, err := kind.Create(ctx, sec.Name, sec); err != nil {
		t.Fatal(err)
	}
	raw := rawValue(t, b, kind.Key("creds"))
	if bytes.Contains(raw, []byte("correct-horse-battery-staple")) {
		t.Fatalf("the secret value is in etcd in plaintext: %q", raw)
	}
	got, err := kind.Get(ctx, "creds")
	if err != nil || got.Value.Data["AWS_SECRET_ACCESS_KEY"] != "correct-horse-battery-staple" {
		t.Fatalf("get: %+v %v", got, err)
	}
	// The same etcd read with another key file fails and says why.
	other, _, err := secretbox.LoadOrCreate(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.NewKind[model.Secret](b.Client, model.KindSecrets, store.WithCodec(other)).Get(ctx, "creds")
	if !errors.Is(err, secretbox.ErrWrongKey) {
		t.Fatalf("get with another key file: %v, want ErrWrongKey", err)
	}
	// A sealed value copied under another secret's name does not open.
	if _, err := b.Client.Put(ctx, kind.Key("stolen"), string(raw)); err != nil {
		t.Fatal(err)
	}
	if _, err := kind.Get(ctx, "stolen"); !errors.Is(err, secretbox.ErrDamaged) {
		t.Fatalf("get of a value moved to another name: %v, want ErrDamaged", err)
	}
}

func TestPlaintextSecretIsMigrated(t *testing.T) {
	ctx := context.Background()
	b, kind, _, _ := sealedSecrets(t)
	legacy := `{"name":"old","data":{"PASSWORD":"hunter2-legacy"}}`
	if _, err := b.Client.Put(ctx, kind.Key("old"), legacy); err != nil {
		t.Fatal(err)
	}
	if got, err := kind.Get(ctx, "old"); err != nil || got.Value.Data["PASSWORD"] != "hunter2-legacy" {
		t.Fatalf("a plaintext record before migration: %+v %v", got, err)
	}
	n, err := kind.Reseal(ctx)
	if err != nil || n != 1 {
		t.Fatalf("reseal: %d %v, want 1", n, err)
	}
	if raw := rawValue(t, b, kind.Key("old")); bytes.Contains(raw, []byte("hunter2-legacy")) {
		t.Fatalf("still plaintext after migration: %q", raw)
	}
	if got, err := kind.Get(ctx, "old"); err != nil || got.Value.Data["PASSWORD"] != "hunter2-legacy" {
		t.Fatalf("after migration: %+v %v", got, err)
	}
	if n, err := kind.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("second reseal: %d %v, want nothing to do", n, err)
	}
}

func TestRekeyRewritesEverySecretAndForgetsTheOldKey(t *testing.T) {
	ctx := context.Background()
	b, kind, ring, path := sealedSecrets(t)
	values := map[string]string{"a": "value-of-a", "b": "value-of-b", "c": "value-of-c"}
	for n, v := range values {
		if _, err := kind.Create(ctx, n, model.Secret{Name: n, Data: map[string]string{"K": v}}); err != nil {
			t.Fatal(err)
		}
	}
	oldID := ring.IDs()[0]
	oldFile, _ := os.ReadFile(path)
	n, err := ring.Rekey(ctx, kind.Reseal)
	if err != nil || n != len(values) {
		t.Fatalf("rekey: %d %v, want %d", n, err, len(values))
	}
	newFile, _ := os.ReadFile(path)
	if ids := ring.IDs(); len(ids) != 1 || ids[0] == oldID || strings.Contains(string(newFile), oldID) {
		t.Fatalf("after rekey: ids %v, file %s; old id %s must be gone", ids, newFile, oldID)
	}
	// Reload the file as a restarted server would: everything opens, and
	// nothing opens with the old file alone.
	reloaded, _, err := secretbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(t.TempDir(), "old.key")
	if err := os.WriteFile(oldPath, oldFile, 0o600); err != nil {
		t.Fatal(err)
	}
	oldRing, _, err := secretbox.LoadOrCreate(oldPath)
	if err != nil {
		t.Fatal(err)
	}
	fresh := store.NewKind[model.Secret](b.Client, model.KindSecrets, store.WithCodec(reloaded))
	withOld := store.NewKind[model.Secret](b.Client, model.KindSecrets, store.WithCodec(oldRing))
	for n, v := range values {
		if got, err := fresh.Get(ctx, n); err != nil || got.Value.Data["K"] != v {
			t.Errorf("%s after rekey: %+v %v", n, got, err)
		}
		if _, err := withOld.Get(ctx, n); !errors.Is(err, secretbox.ErrWrongKey) {
			t.Errorf("%s opens with the old key file: %v", n, err)
		}
	}
}

func TestInterruptedRekeyLeavesEverythingReadable(t *testing.T) {
	ctx := context.Background()
	b, kind, ring, path := sealedSecrets(t)
	for _, n := range []string{"a", "b", "c"} {
		if _, err := kind.Create(ctx, n, model.Secret{Name: n, Data: map[string]string{"K": "v-" + n}}); err != nil {
			t.Fatal(err)
		}
	}
	// Reseal one secret, then "crash".
	_, err := ring.Rekey(ctx, func(ctx context.Context) (int, error) {
		v, err := kind.Get(ctx, "b")
		if err != nil {
			return 0, err
		}
		if _, err := kind.Update(ctx, "b", v.Value, v.Rev); err != nil {
			return 0, err
		}
		return 1, errors.New("crash")
	})
	if err == nil {
		t.Fatal("interrupted rekey reported success")
	}
	reloaded, _, err := secretbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(reloaded.IDs()) != 2 {
		t.Fatalf("key file after an interrupted rekey holds %v, want two keys", reloaded.IDs())
	}
	fresh := store.NewKind[model.Secret](b.Client, model.KindSecrets, store.WithCodec(reloaded))
	for _, n := range []string{"a", "b", "c"} {
		if got, err := fresh.Get(ctx, n); err != nil || got.Value.Data["K"] != "v-"+n {
			t.Errorf("%s after an interrupted rekey: %+v %v", n, got, err)
		}
	}
	// The next start's migration moves the rest to the new primary.
	if n, err := fresh.Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("reseal after the interrupted rekey: %d %v, want 2", n, err)
	}
}
