// Package backup runs plinth's backup control plane: backup targets (open
// drivers, availability checks, remote sync), backup backing images
// (create, run, delete) and restores from them. It talks to targets only
// through internal/backupstore.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/all"
)

// Stores keeps one open driver and backupstore.Store per backup target, and
// reopens it when the target's URL or credential secret changes. One
// client per target is reused by every operation on it.
type Stores struct {
	Targets *store.Kind[model.BackupTarget]
	Secrets *store.Kind[model.Secret]
	Metrics prometheus.Registerer
	// Journal records lock files so a restart removes those a crash left.
	Journal *LockJournal
	// Open, if set, replaces opening (and wrapping) a target's driver:
	// tests hand in in-memory or fault-injecting targets.
	Open func(ctx context.Context, url string, secret map[string]string) (target.Target, error)
	// StoreOptions is the base of every backupstore.Store's options
	// (tests shorten the lock timings); Journal is set on top of it.
	StoreOptions backupstore.Options

	mu     sync.Mutex
	byName map[string]*openStore
	ops    runningOps
}

type openStore struct {
	version string // hash of URL and secret data
	tgt     target.Target
	store   *backupstore.Store
}

// Get returns the store of the named target, opening its driver if needed.
// A missing target is an errkind.NotFound; a target that cannot be opened (bad
// URL, missing secret) is an errkind.Unavailable with the reason.
func (s *Stores) Get(ctx context.Context, name string) (*backupstore.Store, model.BackupTarget, error) {
	v, err := s.Targets.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, model.BackupTarget{}, errkind.NotFound("backup target %s not found", name)
	}
	if err != nil {
		return nil, model.BackupTarget{}, err
	}
	bt := v.Value
	st, err := s.openTarget(ctx, bt)
	return st, bt, err
}

func (s *Stores) openTarget(ctx context.Context, bt model.BackupTarget) (*backupstore.Store, error) {
	if bt.URL == "" {
		return nil, errkind.Unavailable("backup target %s has no URL; set one with backupTargetUpdate", bt.Name)
	}
	secret, err := s.secretData(ctx, bt)
	if err != nil {
		return nil, err
	}
	version := fingerprint(bt.URL, secret)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName == nil {
		s.byName = map[string]*openStore{}
	}
	if cur := s.byName[bt.Name]; cur != nil {
		if cur.version == version {
			return cur.store, nil
		}
		cur.tgt.Close()
		delete(s.byName, bt.Name)
	}
	tgt, err := s.open(ctx, bt.URL, secret)
	if err != nil {
		return nil, errkind.Unavailable("backup target %s: %v", bt.Name, err)
	}
	opts := s.StoreOptions
	if s.Journal != nil {
		opts.Journal = s.Journal.ForTarget(bt.Name)
	}
	st := backupstore.New(tgt, opts)
	s.byName[bt.Name] = &openStore{version: version, tgt: tgt, store: st}
	return st, nil
}

func (s *Stores) open(ctx context.Context, url string, secret map[string]string) (target.Target, error) {
	if s.Open != nil {
		return s.Open(ctx, url, secret)
	}
	tgt, err := all.Open(ctx, url, secret)
	if err != nil {
		return nil, err
	}
	return all.Wrap(tgt, s.Metrics), nil
}

func (s *Stores) secretData(ctx context.Context, bt model.BackupTarget) (map[string]string, error) {
	if bt.CredentialSecret == "" {
		return map[string]string{}, nil
	}
	sec, err := s.Secrets.Get(ctx, bt.CredentialSecret)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errkind.Unavailable("backup target %s: credential secret %s does not exist; create it with POST /v1/secrets", bt.Name, bt.CredentialSecret)
	}
	if err != nil {
		return nil, err
	}
	return sec.Value.Data, nil
}

// Drop closes the driver of a deleted target.
func (s *Stores) Drop(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.byName[name]; cur != nil {
		cur.tgt.Close()
		delete(s.byName, name)
	}
}

// fingerprint identifies a URL+secret combination without keeping the
// secret values around in clear.
func fingerprint(url string, secret map[string]string) string {
	h := sha256.New()
	h.Write([]byte(url))
	keys := make([]string, 0, len(secret))
	for k := range secret {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s\x00%s", k, secret[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkReachable runs the target's cheap availability check, bounded by
// checkTimeout so an unreachable server is reported within seconds.
func checkReachable(ctx context.Context, st *backupstore.Store) error {
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := st.Target().Check(cctx); err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("no answer within %s: %w", checkTimeout, err)
		}
		return err
	}
	return nil
}
