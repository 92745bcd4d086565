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
	"time"

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
// client per target is reused by every operation on it. Drivers are
// reference-counted: every operation acquires the store and releases it
// when done, and a driver that was replaced (URL or secret changed) or
// dropped (target deleted) is closed only once its last operation has
// released it.
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
	// BadBlocks, if set, keeps each target's damaged blocks in etcd.
	BadBlocks *BadBlocks

	mu     sync.Mutex
	byName map[string]*openStore
	ops    runningOps
}

// openStore is one open driver. refs counts the operations holding it,
// plus one while it is the target's current store in the cache; the
// driver is closed when refs drops to zero. refs is guarded by Stores.mu.
type openStore struct {
	version string // hash of URL and secret data
	tgt     target.Target
	store   *backupstore.Store
	refs    int
}

// noRelease is the release func handed out with an error.
func noRelease() {}

// Acquire returns the store of the named target, opening its driver if
// needed, and a release func that the caller must call (once; later calls
// do nothing) when its operation on the store has finished. The store
// stays usable until then, even if the target's URL or secret changes or
// the target is deleted meanwhile. A missing target is an
// errkind.NotFound; a target that cannot be opened (bad URL, missing
// secret) is an errkind.Unavailable with the reason. On error, release is
// a no-op and never nil.
func (s *Stores) Acquire(ctx context.Context, name string) (st *backupstore.Store, bt model.BackupTarget, release func(), err error) {
	v, err := s.Targets.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, model.BackupTarget{}, noRelease, errkind.NotFound("backup target %s not found", name)
	}
	if err != nil {
		return nil, model.BackupTarget{}, noRelease, err
	}
	bt = v.Value
	st, release, err = s.acquireTarget(ctx, bt)
	return st, bt, release, err
}

// acquireTarget is Acquire for a target record already read.
func (s *Stores) acquireTarget(ctx context.Context, bt model.BackupTarget) (*backupstore.Store, func(), error) {
	if bt.URL == "" {
		return nil, noRelease, errkind.Unavailable("backup target %s has no URL; set one with backupTargetUpdate", bt.Name)
	}
	secret, err := s.secretData(ctx, bt)
	if err != nil {
		return nil, noRelease, err
	}
	version := fingerprint(bt.URL, secret)
	if st, release := s.reuse(bt.Name, version); st != nil {
		return st, release, nil
	}
	// Open outside the lock: dialling a slow server must not hold up
	// operations on other targets.
	tgt, err := s.open(ctx, bt.URL, secret)
	if err != nil {
		return nil, noRelease, errkind.Unavailable("backup target %s: %v", bt.Name, err)
	}
	opts := s.StoreOptions
	if s.Journal != nil {
		opts.Journal = s.Journal.ForTarget(bt.Name)
	}
	if s.BadBlocks != nil {
		opts.BadBlocks = s.BadBlocks.ForTarget(bt.Name)
	}
	fresh := &openStore{version: version, tgt: tgt, store: backupstore.New(tgt, opts), refs: 2}
	s.mu.Lock()
	if cur := s.byName[bt.Name]; cur != nil && cur.version == version {
		// Opened concurrently by another operation: use that one.
		cur.refs++
		s.mu.Unlock()
		tgt.Close()
		return cur.store, s.releaser(cur), nil
	}
	if s.byName == nil {
		s.byName = map[string]*openStore{}
	}
	old := s.byName[bt.Name]
	s.byName[bt.Name] = fresh
	closeOld := old != nil && s.unref(old)
	s.mu.Unlock()
	if closeOld {
		old.close()
	}
	return fresh.store, s.releaser(fresh), nil
}

// reuse acquires the cached store of target name if it is of version.
func (s *Stores) reuse(name, version string) (*backupstore.Store, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byName[name]
	if cur == nil || cur.version != version {
		return nil, nil
	}
	cur.refs++
	return cur.store, s.releaser(cur)
}

// releaser returns the release func of one reference to o.
func (s *Stores) releaser(o *openStore) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			last := s.unref(o)
			s.mu.Unlock()
			if last {
				o.close()
			}
		})
	}
}

// close releases the store's lingering lock (bounded in time: a target that
// does not answer must not hold up the caller) and closes the driver.
func (o *openStore) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = o.store.Close(ctx)
	o.tgt.Close()
}

// unref drops one reference to o and reports whether it was the last, in
// which case the caller closes o's driver (outside s.mu). s.mu is held.
func (s *Stores) unref(o *openStore) bool {
	o.refs--
	return o.refs == 0
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

// Drop forgets the driver of a deleted target: it is closed at once if no
// operation holds it, else when the last one releases it.
func (s *Stores) Drop(name string) {
	s.mu.Lock()
	cur := s.byName[name]
	delete(s.byName, name)
	last := cur != nil && s.unref(cur)
	s.mu.Unlock()
	if last {
		cur.close()
	}
}

// CloseAll closes every cached store and driver that no operation holds
// (at daemon shutdown): a store's lingering lock is released, so Longhorn's
// and other installations' deletes need not wait for it to expire.
func (s *Stores) CloseAll() {
	s.mu.Lock()
	var idle []*openStore
	for name, o := range s.byName {
		delete(s.byName, name)
		if s.unref(o) {
			idle = append(idle, o)
		}
	}
	s.mu.Unlock()
	for _, o := range idle {
		o.close()
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
