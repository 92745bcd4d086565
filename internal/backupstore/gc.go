package backupstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
)

// ErrGCAborted is wrapped by errors that stopped garbage collection
// before it deleted anything; retrying later is safe.
var ErrGCAborted = errors.New("garbage collection aborted, no block was removed")

// GCResult describes one garbage collection.
type GCResult struct {
	Removed int // unreferenced blocks deleted
	Kept    int // blocks still referenced by some backup
	// Skipped explains why nothing was collected although nothing failed:
	// a backup is in progress, or the set of backups changed during the
	// scan. Orphans are collected by a later Delete or GC.
	Skipped  string
	LockWait time.Duration
}

// Delete removes backup name's cfg, then collects the blocks no remaining
// backup references (see GC). It holds the delete lock throughout, so no
// backup or restore runs meanwhile. Deleting a backup that does not exist
// only collects garbage. On targets with directories the backup's emptied
// directory is removed too (left alone if someone wrote into it). An error
// wrapping ErrGCAborted means the backup is gone but its blocks were not
// collected yet.
func (s *Store) Delete(ctx context.Context, name string) (GCResult, error) {
	if err := format.ValidateName(name); err != nil {
		return GCResult{}, err
	}
	var res GCResult
	waited, err := s.withLock(ctx, lock.Delete, func(ctx context.Context) error {
		key := format.ConfigKey(name)
		if err := s.tgt.Delete(ctx, key); err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		dirErr := s.removeBackupDir(ctx, name)
		return errors.Join(s.gcLocked(ctx, &res), dirErr)
	})
	res.LockWait = waited
	if err != nil {
		return res, fmt.Errorf("delete backup %q: %w", name, err)
	}
	return res, nil
}

// GC deletes every pool block that no cfg references (mark and sweep).
// It deletes nothing if any listing or cfg read fails (the error wraps
// ErrGCAborted), if any cfg is in progress, or if the set of cfgs changed
// while it scanned (then Skipped says so).
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	var res GCResult
	waited, err := s.withLock(ctx, lock.Delete, func(ctx context.Context) error {
		return s.gcLocked(ctx, &res)
	})
	res.LockWait = waited
	if err != nil {
		return res, fmt.Errorf("collect unreferenced blocks: %w", err)
	}
	return res, nil
}

func (s *Store) gcLocked(ctx context.Context, res *GCResult) error {
	before, err := s.scanConfigs(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGCAborted, err)
	}
	pool, err := s.scanPool(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGCAborted, err)
	}
	live, skip, err := s.markReferenced(ctx, before)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGCAborted, err)
	}
	if skip != "" {
		res.Skipped = skip
		return nil
	}
	after, err := s.scanConfigs(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGCAborted, err)
	}
	if !maps.Equal(before, after) {
		res.Skipped = "the set of backups changed during the scan"
		return nil
	}
	var orphans []string
	for id, key := range pool {
		if _, ok := live[id]; ok {
			res.Kept++
		} else {
			orphans = append(orphans, key)
		}
	}
	s.known.Invalidate()
	var mu sync.Mutex
	var errs []error
	_ = parallel(ctx, s.concurrency(0), len(orphans), func(ctx context.Context, i int) error {
		err := s.tgt.Delete(ctx, orphans[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		} else {
			res.Removed++
		}
		return nil
	})
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d unreferenced blocks could not be deleted (a later GC retries): %w",
			len(errs), len(orphans), errors.Join(errs...))
	}
	return ctx.Err()
}

// scanPool lists every well-formed block object: ID -> key.
func (s *Store) scanPool(ctx context.Context) (map[blockKey]string, error) {
	pool := make(map[blockKey]string)
	err := s.tgt.Walk(ctx, format.BlocksDir, func(e target.Entry) error {
		if id, ok := format.IDFromBlockKey(e.Key); ok {
			pool[keyOf(id)] = e.Key
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the block pool %s: %w", format.BlocksDir, err)
	}
	return pool, nil
}

// markReferenced loads every cfg in stamps and returns the set of block
// IDs they reference. skip is non-empty when GC must not sweep: a cfg is in
// progress or vanished meanwhile. Any read or parse error is returned.
func (s *Store) markReferenced(ctx context.Context, stamps map[string]Stamp) (map[blockKey]struct{}, string, error) {
	names := make([]string, 0, len(stamps))
	for name := range stamps {
		names = append(names, name)
	}
	live := make(map[blockKey]struct{})
	var mu sync.Mutex
	var skip string
	err := parallel(ctx, s.concurrency(0), len(names), func(ctx context.Context, i int) error {
		cfg, err := s.loadConfig(ctx, names[i])
		mu.Lock()
		defer mu.Unlock()
		switch {
		case target.IsNotFound(err):
			skip = fmt.Sprintf("backup %q disappeared during the scan", names[i])
			return nil
		case err != nil:
			return err
		case cfg.InProgress():
			skip = fmt.Sprintf("backup %q is in progress", names[i])
			return nil
		}
		for _, b := range cfg.Blocks {
			if !format.ValidID(b.BlockChecksum) {
				return fmt.Errorf("%s references an invalid block ID %q", format.ConfigKey(names[i]), b.BlockChecksum)
			}
			live[keyOf(b.BlockChecksum)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return live, skip, nil
}
