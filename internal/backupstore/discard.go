package backupstore

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/target"
)

// DiscardInProgress removes the cfg of backup name if it is an in-progress
// placeholder (a backup that was stopped), then collects the blocks no
// backup references, all under the delete lock. A complete backup or a
// missing cfg is left alone (removed is false). An error wrapping
// ErrGCAborted means the placeholder is gone but blocks were not collected.
func (s *Store) DiscardInProgress(ctx context.Context, name string) (removed bool, res GCResult, err error) {
	if err := format.ValidateName(name); err != nil {
		return false, res, err
	}
	waited, err := s.withLock(ctx, lock.Delete, func(ctx context.Context) error {
		cfg, err := s.loadConfig(ctx, name)
		if target.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !cfg.InProgress() {
			return nil
		}
		key := format.ConfigKey(name)
		if err := s.tgt.Delete(ctx, key); err != nil && !target.IsNotFound(err) {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		removed = true
		return s.gcLocked(ctx, &res)
	})
	res.LockWait = waited
	if err != nil {
		return removed, res, fmt.Errorf("discard in-progress backup %q: %w", name, err)
	}
	return removed, res, nil
}
