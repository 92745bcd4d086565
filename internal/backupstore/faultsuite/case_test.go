package faultsuite

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/all"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

// env is one case's store: the real driver, the fault injector on it, and
// the daemon's decorators and Store on top.
type env struct {
	raw   target.Target
	ft    *faulty.Target
	store *backupstore.Store
	// acked names the backups whose Backup call returned success and that
	// were not deleted since: each must restore byte-identical.
	acked map[string]bool
}

// storeOptions are the daemon's defaults except for a shortened lock
// protocol (Longhorn's 2 s check wait and 60 s refresh would make the
// matrix slow). The expiry stays well above an outage plus the retry
// budgets of the operation and of its release (about 6 s in row down), so
// that a lock file left by a failed release still blocks the other type
// when the server is back: it is the background releaser, not expiry,
// that must remove it. The type-1 lock does not linger (NoLockLinger):
// every stage takes its own lock, so that the lock protocol's calls are
// the first ones of each stage (stage.mid counts past them) and the
// lock-file faults hit backups and restores too.
func storeOptions() backupstore.Options {
	return backupstore.Options{
		Lock:        lock.Config{Expiry: 20 * time.Second, Refresh: 500 * time.Millisecond, CheckWait: 5 * time.Millisecond},
		LockTimeout: 10 * time.Second,
		LockLinger:  backupstore.NoLockLinger,
	}
}

// openEnv opens a fresh store at rawURL with the stack the daemon builds
// (controller/backup Stores.openTarget): all.Open, then all.Wrap, with the
// fault injector between the driver and the decorators.
func openEnv(t *testing.T, rawURL string, secret map[string]string) *env {
	t.Helper()
	raw, err := all.Open(t.Context(), rawURL, secret)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { raw.Close() })
	ft := faulty.Wrap(raw)
	stack := all.Wrap(ft, prometheus.NewRegistry())
	return &env{raw: raw, ft: ft, store: backupstore.New(stack, storeOptions()), acked: map[string]bool{}}
}

// outcome is what one case observed.
type outcome struct {
	hits   int64  // calls the fault failed or delayed
	first  error  // the stage's first attempt
	second error  // the attempt after the fault was lifted, if the first failed
	wrong  string // a success with a wrong result, or an acknowledged backup lost
	leak   string // what cleanup could not do, if anything
	// Left on the store after every backup was deleted and GC ran.
	orphans, cfgs, locks int
	lockKeys             []string // the lock directory's entries left
}

// verdict names the outcome for the table; bad is true when the case
// must fail the test.
func (o outcome) verdict() (v string, bad bool) {
	switch {
	case o.wrong != "":
		return "DATA LOST", true
	case o.orphans > 0 || o.cfgs > 0:
		return fmt.Sprintf("ORPHANS (%d blocks, %d cfgs)", o.orphans, o.cfgs), true
	case o.leak != "":
		return "CLEANUP FAILED", true
	case o.second != nil:
		return "FAILED", true
	case o.locks > 0:
		return fmt.Sprintf("LOCK LEFT (%d)", o.locks), true
	case o.hits == 0:
		return "not hit", false
	case o.first != nil:
		return fmt.Sprintf("retry (%d)", o.hits), false
	}
	return fmt.Sprintf("direct (%d)", o.hits), false
}

// releaseGrace is how long the check waits for background lock releasers,
// far below the suite's lock expiry (20 s), so an abandoned lock still fails.
const releaseGrace = 3 * time.Second

// runCase sets up two backups, runs stage s under fault f, lifts the fault,
// runs the stage again if it failed, and checks the invariants.
func runCase(t *testing.T, e *env, f fault, s stage) outcome {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for _, name := range setupBackups {
		if _, err := e.store.Backup(ctx, backupstore.BackupRequest{Name: name, Source: &backupstore.BytesSource{Data: images[name]}}, nil); err != nil {
			t.Fatalf("set-up backup %s without faults: %v", name, err)
		}
		e.acked[name] = true
	}
	if s.begin != nil {
		s.begin(e)
	}
	var o outcome
	o.wrong, o.first = attemptUnder(ctx, e, f, s, &o.hits)
	if o.first != nil && o.wrong == "" {
		t.Logf("first attempt failed (%d faults injected): %v", o.hits, o.first)
		o.wrong, o.second = s.attempt(ctx, e)
		if o.second != nil {
			t.Logf("attempt after the fault was lifted failed: %v", o.second)
		}
	}
	if o.wrong == "" {
		o.wrong = checkAcked(ctx, e)
	}
	o.leak = cleanup(ctx, e)
	o.orphans, o.cfgs = len(entries(t, ctx, e.raw, format.BlocksDir)), len(entries(t, ctx, e.raw, format.ConfigsDir))
	// Background releasers delete asynchronously (a re-delete follows a
	// release whose refresh write failed, within about a second): a lock
	// file counts as left only if it is still there after releaseGrace.
	for deadline := time.Now().Add(releaseGrace); ; {
		o.lockKeys = entries(t, ctx, e.raw, format.LockDir)
		if len(o.lockKeys) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	o.locks = len(o.lockKeys)
	for _, k := range o.lockKeys { // for diagnosis: which write left it
		body, gerr := e.raw.Get(ctx, k)
		st, serr := e.raw.Stat(ctx, k)
		t.Logf("lock entry left: %s holds %s (%v), server mtime %s (%v), now %s", k, body, gerr, st.ModTime.Format(time.RFC3339Nano), serr, time.Now().Format(time.RFC3339Nano))
	}
	return o
}

// attemptUnder runs the stage once with the fault installed, then lifts it.
func attemptUnder(ctx context.Context, e *env, f fault, s stage, hits *int64) (string, error) {
	if f.stageTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.stageTimeout)
		defer cancel()
	}
	in := &injection{ctx: ctx, mid: s.mid, dataMid: s.dataMid, writes: s.name == "backup"}
	e.ft.Add(f.rule(in))
	wrong, err := s.attempt(ctx, e)
	in.lift()
	e.ft.Reset()
	*hits = in.hits.Load()
	return wrong, err
}

// checkAcked restores every acknowledged backup and compares its SHA-512
// with the source's.
func checkAcked(ctx context.Context, e *env) string {
	for _, name := range slices.Sorted(maps.Keys(e.acked)) {
		sink := &backupstore.BytesSink{}
		if _, err := e.store.Restore(ctx, name, sink, backupstore.RestoreOptions{}, nil); err != nil {
			return fmt.Sprintf("acknowledged backup %s does not restore: %v", name, err)
		}
		data, _ := sink.Bytes()
		if sha512Hex(data) != sha512Hex(images[name]) {
			return fmt.Sprintf("acknowledged backup %s restores other bytes", name)
		}
	}
	return ""
}

// cleanup deletes every backup the store lists (acknowledged or not) and
// collects garbage, as a user emptying the target would.
func cleanup(ctx context.Context, e *env) string {
	list, err := e.store.List(ctx)
	if err != nil {
		return fmt.Sprintf("list: %v", err)
	}
	for _, b := range list {
		if _, err := e.store.Delete(ctx, b.Name); err != nil {
			return fmt.Sprintf("delete %s: %v", b.Name, err)
		}
	}
	res, err := e.store.GC(ctx)
	if err != nil {
		return fmt.Sprintf("gc: %v", err)
	}
	if res.Skipped != "" {
		return "gc skipped: " + res.Skipped
	}
	return ""
}

// entries are the keys of the objects left under dir, read from the
// driver itself.
func entries(t *testing.T, ctx context.Context, raw target.Target, dir string) []string {
	t.Helper()
	var keys []string
	if err := raw.Walk(ctx, dir, func(e target.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatalf("walk %s to count what is left: %v", dir, err)
	}
	return keys
}
