package backupstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
)

// lockView is what garbage collection knows of the store's lock files:
// the newest server mtime among them (the store's "now", our own fresh
// delete lock included) and whether any backup lock is still live.
type lockView struct {
	now        time.Time
	liveBackup bool
}

// viewLocks lists the lock directory. A backup lock is live unless its
// server mtime is more than the lock expiry older than the newest lock.
func (s *Store) viewLocks(ctx context.Context) (lockView, error) {
	type file struct {
		key string
		mod time.Time
	}
	var files []file
	var v lockView
	err := s.tgt.List(ctx, format.LockDir, func(e target.Entry) error {
		if !e.IsDir && strings.HasSuffix(e.Key, ".lck") {
			files = append(files, file{e.Key, e.ModTime})
			if e.ModTime.After(v.now) {
				v.now = e.ModTime
			}
		}
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("list lock files in %s: %w", format.LockDir, err)
	}
	for _, f := range files {
		if v.now.Sub(f.mod) > s.opts.Lock.Expiry {
			continue
		}
		data, err := s.tgt.Get(ctx, f.key)
		if target.IsNotFound(err) {
			continue
		}
		if err != nil {
			return v, fmt.Errorf("read lock file %s: %w", f.key, err)
		}
		var body struct{ Type lock.Type }
		if json.Unmarshal(data, &body) != nil || body.Type != lock.Delete {
			v.liveBackup = true // a backup lock, or one we cannot read: be safe
		}
	}
	return v, nil
}

// abandoned reports whether an in-progress cfg with server mtime mod was
// left by a backup that no longer runs: no backup lock is live and the cfg
// is older than the lock expiry. A running backup (Longhorn's or ours)
// always holds a live backup lock, so its cfg is never abandoned.
func (v lockView) abandoned(mod time.Time, expiry time.Duration) bool {
	return !v.liveBackup && !v.now.IsZero() && v.now.Sub(mod) > expiry
}
