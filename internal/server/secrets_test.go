package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

func TestSecretsKeyFileDefault(t *testing.T) {
	o, err := Options{DataDir: "somewhere"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.SecretsKeyFile != filepath.Join(o.DataDir, "secrets.key") || !filepath.IsAbs(o.SecretsKeyFile) {
		t.Fatalf("default secrets key file %q (data dir %q)", o.SecretsKeyFile, o.DataDir)
	}
	if o, _ := (Options{SecretsKeyFile: "/etc/plinth/k"}).withDefaults(); o.SecretsKeyFile != "/etc/plinth/k" {
		t.Fatalf("given key file replaced by %q", o.SecretsKeyFile)
	}
}

func TestOpenSecretsMigratesAndRefusesTheWrongKeyFile(t *testing.T) {
	ctx := context.Background()
	b := store.NewTestBackend(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keyFile := filepath.Join(t.TempDir(), "secrets.key")
	// A secret written before encryption existed.
	if _, err := b.Client.Put(ctx, store.Prefix+model.KindSecrets+"/old", `{"name":"old","data":{"K":"plain-old-value"}}`); err != nil {
		t.Fatal(err)
	}
	s, err := openSecrets(ctx, b.Client, keyFile, log)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.Client.Get(ctx, s.kind.Key("old"))
	if err != nil || len(resp.Kvs) != 1 || bytes.Contains(resp.Kvs[0].Value, []byte("plain-old-value")) {
		t.Fatalf("the plaintext secret was not sealed at start: %v %v", resp, err)
	}
	if got, err := s.kind.Get(ctx, "old"); err != nil || got.Value.Data["K"] != "plain-old-value" {
		t.Fatalf("migrated secret: %+v %v", got, err)
	}
	// Another (new) key file cannot open what etcd holds: refuse to start.
	other := filepath.Join(t.TempDir(), "other.key")
	_, err = openSecrets(ctx, b.Client, other, log)
	if err == nil || !strings.Contains(err.Error(), "created just now") || !strings.Contains(err.Error(), "--secrets-key-file") {
		t.Fatalf("start with a new key file over sealed secrets: %v", err)
	}
	// A key file others can read is refused.
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openSecrets(ctx, b.Client, keyFile, log); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("start with a world-readable key file: %v", err)
	}
}
