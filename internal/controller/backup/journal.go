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

// Add records, durably, a lock file about to be written. An error means
// the journal could not be saved: the caller must not write the lock file,
// since a crash would then leave it behind unrecorded.
func (t *TargetJournal) Add(key string) error { return t.j.update(t.target, key, true) }

// Remove forgets a lock file that was deleted. An error means the journal
// still lists key on disk; that is harmless (a restart deletes a missing
// file) and is corrected by the next successful save.
func (t *TargetJournal) Remove(key string) error { return t.j.update(t.target, key, false) }

func (j *LockJournal) update(targetName, key string, add bool) error {
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
	err := j.saveLocked()
	if err != nil && add {
		delete(j.live[targetName], key) // not recorded, so not held either
	}
	return err
}

// Recover deletes from tgt the lock files a previous process of this
// installation left on target targetName. Keys that cannot be deleted now
// are kept for a later attempt; it returns the first delete error, or the
// error saving the journal afterwards. With nothing left to recover it
// does nothing (no target call, no journal write).
func (j *LockJournal) Recover(ctx context.Context, targetName string, tgt target.Target) error {
	j.mu.Lock()
	keys := j.stale[targetName]
	j.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
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
	if err := j.saveLocked(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// saveLocked writes stale and live entries durably: a temp file, fsynced,
// renamed over the journal, then the directory fsynced so the rename
// survives a crash. On error the previous journal file is left intact.
func (j *LockJournal) saveLocked() error {
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
	data, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encode lock journal: %w", err)
	}
	if err := writeFileDurably(j.path, data); err != nil {
		return fmt.Errorf("save lock journal (check that the data directory is writable and not full): %w", err)
	}
	return nil
}
