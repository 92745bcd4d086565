package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/plinth-storage/plinth/internal/target"
)

// LockJournal remembers, in a file under the data dir, which backup-store
// lock files this installation has on which target. A lock file written
// by a process that then crashed would otherwise keep the store locked
// for the other lock type until it expires (150 s); at the next start the
// entries of the previous process are deleted from their targets.
type LockJournal struct {
	path string

	mu    sync.Mutex
	stale map[string][]string        // target -> keys written by a previous process
	live  map[string]map[string]bool // target -> keys held now
}

// OpenLockJournal loads the journal at path (a missing file is empty).
func OpenLockJournal(path string) (*LockJournal, error) {
	j := &LockJournal{path: path, stale: map[string][]string{}, live: map[string]map[string]bool{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock journal %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &j.stale); err != nil {
		// A damaged journal only costs waiting for lock expiry.
		j.stale = map[string][]string{}
	}
	return j, nil
}

// ForTarget returns the lock.Journal of one target.
func (j *LockJournal) ForTarget(name string) *TargetJournal {
	return &TargetJournal{j: j, target: name}
}

// TargetJournal is the journal of one target; it implements lock.Journal.
type TargetJournal struct {
	j      *LockJournal
	target string
}

// Add records a lock file about to be written.
func (t *TargetJournal) Add(key string) { t.j.update(t.target, key, true) }

// Remove forgets a lock file that was deleted.
func (t *TargetJournal) Remove(key string) { t.j.update(t.target, key, false) }

func (j *LockJournal) update(targetName, key string, add bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.live[targetName] == nil {
		j.live[targetName] = map[string]bool{}
	}
	if add {
		j.live[targetName][key] = true
	} else {
		delete(j.live[targetName], key)
	}
	j.saveLocked()
}

// Recover deletes from tgt the lock files a previous process of this
// installation left on target targetName. Keys that cannot be deleted now
// are kept for a later attempt.
func (j *LockJournal) Recover(ctx context.Context, targetName string, tgt target.Target) error {
	j.mu.Lock()
	keys := j.stale[targetName]
	j.mu.Unlock()
	var left []string
	var firstErr error
	for _, k := range keys {
		if err := tgt.Delete(ctx, k); err != nil {
			left = append(left, k)
			if firstErr == nil {
				firstErr = fmt.Errorf("remove stale lock file %s: %w", k, err)
			}
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(left) == 0 {
		delete(j.stale, targetName)
	} else {
		j.stale[targetName] = left
	}
	j.saveLocked()
	return firstErr
}

// saveLocked writes stale and live entries durably (temp file + rename).
func (j *LockJournal) saveLocked() {
	all := map[string][]string{}
	for t, keys := range j.stale {
		all[t] = append(all[t], keys...)
	}
	for t, keys := range j.live {
		for k := range keys {
			all[t] = append(all[t], k)
		}
	}
	for t := range all {
		sort.Strings(all[t])
	}
	data, _ := json.Marshal(all)
	tmp := j.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return
	}
	if f, err := os.Open(tmp); err == nil {
		f.Sync()
		f.Close()
	}
	_ = os.Rename(tmp, j.path)
}
