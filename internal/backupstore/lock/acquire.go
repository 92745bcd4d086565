package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/plinth-storage/plinth/internal/backoff"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// Locker takes locks in one lock directory of one target.
type Locker struct {
	tgt     target.Target
	dir     string
	cfg     Config
	journal Journal
	bg      releaser
}

// Journal records the lock files this process writes, so that after a
// crash the next start can remove them at once instead of leaving the
// store locked until they expire. Add is called before a lock file is
// written, Remove after it was deleted. Both must be safe for concurrent
// use. Add must return only once the entry is durable; if it fails, the
// lock file is not written and TryAcquire fails. A failed Remove is
// harmless (the journal lists a file that no longer exists).
type Journal interface {
	Add(key string) error
	Remove(key string) error
}

// SetJournal makes the Locker record its lock files in j. Call it before
// the first lock is taken.
func (l *Locker) SetJournal(j Journal) { l.journal = j }

func (l *Locker) journalAdd(key string) error {
	if l.journal == nil {
		return nil
	}
	if err := l.journal.Add(key); err != nil {
		return fmt.Errorf("record lock file %s in the lock journal before writing it: %w", key, err)
	}
	return nil
}

func (l *Locker) journalRemove(key string) error {
	if l.journal == nil {
		return nil
	}
	if err := l.journal.Remove(key); err != nil {
		return fmt.Errorf("lock file %s removed, but the lock journal still lists it (harmless): %w", key, err)
	}
	return nil
}

// New returns a Locker for dir (format.LockDir for backing images).
func New(tgt target.Target, dir string, cfg Config) *Locker {
	l := &Locker{tgt: tgt, dir: dir, cfg: cfg}
	l.bg.init()
	return l
}

// TryAcquire makes one attempt, as upstream does: write our file, wait
// CheckWait, check the others. It returns an error wrapping ErrConflict if
// another type holds the store. On every error after the journal entry
// was made, including a failed first write (which may have reached the
// server although it reported an error), our file is deleted again; if
// that delete fails too, the background releaser (see Held.Release) keeps
// trying. The returned lock's Context derives from ctx.
func (l *Locker) TryAcquire(ctx context.Context, t Type) (*Held, error) {
	name := newName()
	key := target.JoinKey(l.dir, name+".lck")
	if err := l.journalAdd(key); err != nil {
		return nil, err
	}
	err := l.tgt.Put(ctx, key, encodeBody(name, t, false))
	written := time.Now() // the file's server mtime is no later than this
	if err != nil {
		return l.abandon(ctx, key, written, fmt.Errorf("write lock file %s: %w", key, err))
	}
	if err := backoff.Sleep(ctx, l.cfg.CheckWait); err != nil {
		return l.abandon(ctx, key, written, err)
	}
	if err := l.check(ctx, key, name, t); err != nil {
		return l.abandon(ctx, key, written, err)
	}
	err = l.tgt.Put(ctx, key, encodeBody(name, t, true))
	written = time.Now()
	if err != nil {
		return l.abandon(ctx, key, written, fmt.Errorf("mark lock file %s acquired: %w", key, err))
	}
	h := &Held{l: l, key: key, stop: make(chan struct{}), done: make(chan struct{}), lastWrite: written}
	h.ctx, h.cancel = context.WithCancelCause(ctx)
	go l.refresh(h, name, t)
	return h, nil
}

// abandon removes the lock file of a failed attempt and returns err. The
// file may exist even if its write failed (the request can fail after the
// server stored it), so the delete is always tried; if it fails, the file
// is handed to the background releaser and stays in the journal.
func (l *Locker) abandon(ctx context.Context, key string, lastWrite time.Time, err error) (*Held, error) {
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if derr := l.tgt.Delete(cleanup, key); derr != nil {
		l.releaseLater(key, lastWrite.Add(l.cfg.Expiry))
		return nil, err
	}
	_ = l.journalRemove(key) // harmless if it fails; err is what matters
	return nil, err
}

// Acquire retries TryAcquire with jittered exponential backoff (from
// CheckWait up to one Refresh interval) while the store is locked by the
// other type, until ctx ends or, if maxWait > 0, maxWait has passed. It
// returns the held lock and how long it waited in total.
func (l *Locker) Acquire(ctx context.Context, t Type, maxWait time.Duration) (*Held, time.Duration, error) {
	start := time.Now()
	delay := max(l.cfg.CheckWait, 100*time.Millisecond)
	for {
		h, err := l.TryAcquire(ctx, t)
		if err == nil {
			return h, time.Since(start), nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, time.Since(start), err
		}
		wait := backoff.Jitter(delay)
		if maxWait > 0 && time.Since(start)+wait > maxWait {
			return nil, time.Since(start), fmt.Errorf("gave up after %s: %w", time.Since(start).Round(time.Millisecond), err)
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, time.Since(start), fmt.Errorf("waiting for the lock (%w): %w", ErrConflict, err)
		}
		delay = min(delay*2, max(l.cfg.Refresh, time.Second))
	}
}

// check fails with ErrConflict if a live lock of the other type sorts
// before ours, and with a plain error if any lock file cannot be read.
func (l *Locker) check(ctx context.Context, ourKey, ourName string, t Type) error {
	ourStat, err := l.tgt.Stat(ctx, ourKey)
	if err != nil {
		return fmt.Errorf("stat our lock file %s: %w", ourKey, err)
	}
	ours := peer{body: fileBody{Name: ourName, Type: t}, modTime: ourStat.ModTime}
	var keys []string
	err = l.tgt.List(ctx, l.dir, func(e target.Entry) error {
		if !e.IsDir && e.Key != ourKey && strings.HasSuffix(e.Key, ".lck") {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list lock files in %s: %w", l.dir, err)
	}
	for _, key := range keys {
		p, ok, err := l.load(ctx, key)
		if err != nil {
			return err
		}
		if !ok || p.body.Type == t || ours.modTime.Sub(p.modTime) > l.cfg.Expiry {
			continue
		}
		if sortsBefore(p, ours) {
			return fmt.Errorf("%w (lock %s, type %d)", ErrConflict, key, p.body.Type)
		}
	}
	return nil
}

// load reads one peer lock; ok is false if it vanished meanwhile.
func (l *Locker) load(ctx context.Context, key string) (peer, bool, error) {
	st, err := l.tgt.Stat(ctx, key)
	if target.IsNotFound(err) {
		return peer{}, false, nil
	}
	if err != nil {
		return peer{}, false, fmt.Errorf("stat lock file %s: %w", key, err)
	}
	data, err := l.tgt.Get(ctx, key)
	if target.IsNotFound(err) {
		return peer{}, false, nil
	}
	if err != nil {
		return peer{}, false, fmt.Errorf("read lock file %s: %w", key, err)
	}
	var body fileBody
	if err := json.Unmarshal(data, &body); err != nil {
		return peer{}, false, fmt.Errorf("parse lock file %s (delete it if no Longhorn or plinth operation is running): %w", key, err)
	}
	return peer{body: body, modTime: st.ModTime}, true, nil
}
