package server

import (
	"context"
	"fmt"
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/secretbox"
	"github.com/plinth-storage/plinth/internal/store"
)

var _ store.Codec = (*secretbox.Keyring)(nil)

// secretsAtRest is the secrets kind, sealed with the key file's keys (see
// package secretbox for what that protects and what not).
type secretsAtRest struct {
	kind *store.Kind[model.Secret]
	ring *secretbox.Keyring
}

// openSecrets loads the key file (creating it with a new key when absent)
// and seals every secret still stored in plaintext (written before values
// were encrypted) or under a key other than the primary (an interrupted
// rekey). It fails when the key file is unsafe or malformed, or when a
// stored secret does not open with its keys: then the server is pointed at
// the wrong key file and must not start as if the secrets were lost.
func openSecrets(ctx context.Context, cli *clientv3.Client, keyFile string, log *slog.Logger) (*secretsAtRest, error) {
	ring, created, err := secretbox.LoadOrCreate(keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created a new secrets key file; keep a copy of it with your etcd backups", "path", keyFile)
	}
	s := &secretsAtRest{kind: store.NewKind[model.Secret](cli, model.KindSecrets, store.WithCodec(ring)), ring: ring}
	n, err := s.kind.Reseal(ctx)
	if err != nil {
		hint := ""
		if created {
			hint = fmt.Sprintf(" (%s was created just now: the secrets were written with another key file)", keyFile)
		}
		return nil, fmt.Errorf("seal stored secrets with %s: %w%s", keyFile, err, hint)
	}
	if n > 0 {
		log.Info("encrypted secrets stored in plaintext or under an old key", "count", n)
	}
	return s, nil
}

// rekey moves every secret to a new key and drops the old keys from the
// key file; it returns how many secrets were rewritten.
func (s *secretsAtRest) rekey(ctx context.Context) (int, error) {
	return s.ring.Rekey(ctx, s.kind.Reseal)
}
