package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// checkTimeout bounds an availability check, so an unreachable server shows
// as unavailable within seconds of the check.
const checkTimeout = 8 * time.Second

// unavailableRecheck is how often an unavailable target is checked again,
// whatever its poll interval, so it recovers by itself.
const unavailableRecheck = 10 * time.Second

// TargetController checks each backup target's availability and keeps the
// local backup records in step with what the target holds.
type TargetController struct {
	Targets *store.Kind[model.BackupTarget]
	Records *Records
	Stores  *Stores
	Log     *slog.Logger
}

var _ runner.Reconciler = (*TargetController)(nil)

// Reconcile converges one target.
func (c *TargetController) Reconcile(ctx context.Context, name string) (runner.Result, error) {
	cur, err := c.Targets.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		c.Stores.Drop(name)
		return runner.Result{}, nil
	}
	if err != nil {
		return runner.Result{}, err
	}
	bt := cur.Value
	if bt.DeletionRequested != nil {
		return runner.Result{}, c.finishDelete(ctx, cur)
	}
	if bt.URL == "" {
		// The records are kept, hidden, and come back with the URL.
		if _, err := c.showOnly(ctx, bt, ""); err != nil {
			return runner.Result{}, err
		}
		return runner.Result{}, c.setStatus(ctx, name, func(s *model.BackupTargetStatus) {
			s.Available, s.Message, s.SyncedURL = false, "backup target URL is empty; set one with backupTargetUpdate", ""
		})
	}
	if err := c.check(ctx, bt); err != nil {
		return runner.Result{RequeueAfter: unavailableRecheck}, c.markUnavailable(ctx, name, err)
	}
	c.recoverLocks(ctx, bt)
	if syncDue(bt) {
		if err := c.sync(ctx, bt); err != nil {
			return runner.Result{RequeueAfter: unavailableRecheck}, c.markUnavailable(ctx, name, fmt.Errorf("listing backups failed: %w", err))
		}
		now := time.Now().UTC()
		err := c.setStatus(ctx, name, func(s *model.BackupTargetStatus) {
			s.Available, s.Message, s.SyncedURL, s.LastSyncedAt = true, "", bt.URL, now
		})
		return runner.Result{RequeueAfter: pollAfter(bt, now)}, err
	}
	err = c.setStatus(ctx, name, func(s *model.BackupTargetStatus) { s.Available, s.Message = true, "" })
	return runner.Result{RequeueAfter: pollAfter(bt, bt.Status.LastSyncedAt)}, err
}

// check opens the target's driver and runs its cheap availability check.
func (c *TargetController) check(ctx context.Context, bt model.BackupTarget) error {
	st, release, err := c.Stores.acquireTarget(ctx, bt)
	defer release()
	if err != nil {
		return err
	}
	return checkReachable(ctx, st)
}

// recoverLocks removes lock files a crashed earlier process left on the
// target, so deletes need not wait for them to expire.
func (c *TargetController) recoverLocks(ctx context.Context, bt model.BackupTarget) {
	if c.Stores.Journal == nil {
		return
	}
	st, release, err := c.Stores.acquireTarget(ctx, bt)
	defer release()
	if err != nil {
		return
	}
	if err := c.Stores.Journal.Recover(ctx, bt.Name, st.Target()); err != nil {
		c.Log.Warn("stale lock files remain; they expire by themselves", "target", bt.Name, "err", err)
	}
}

func (c *TargetController) markUnavailable(ctx context.Context, name string, cause error) error {
	msg := fmt.Sprintf("backup target %s is not available: %v", name, cause)
	return c.setStatus(ctx, name, func(s *model.BackupTargetStatus) { s.Available, s.Message = false, msg })
}

// setStatus writes the status only when fn changed it, so a reconcile that
// finds nothing new does not wake itself up again through the watch.
func (c *TargetController) setStatus(ctx context.Context, name string, fn func(*model.BackupTargetStatus)) error {
	_, err := c.Targets.Mutate(ctx, name, func(bt *model.BackupTarget) error {
		before := bt.Status
		fn(&bt.Status)
		if bt.Status == before {
			return store.ErrNoChange
		}
		bt.Status.CheckedAt = time.Now().UTC()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// syncDue reports whether the target must be listed now.
func syncDue(bt model.BackupTarget) bool {
	s := bt.Status
	switch {
	case s.SyncedURL != bt.URL, bt.SyncRequestedAt.After(s.LastSyncedAt), !s.Available:
		return true
	case bt.PollSeconds > 0:
		return time.Since(s.LastSyncedAt) >= time.Duration(bt.PollSeconds)*time.Second
	}
	return false
}

// pollAfter is when the next periodic check and sync is due.
func pollAfter(bt model.BackupTarget, last time.Time) time.Duration {
	if bt.PollSeconds <= 0 {
		return 0
	}
	d := time.Until(last.Add(time.Duration(bt.PollSeconds) * time.Second))
	return max(d, time.Second)
}

// finishDelete removes the target's local records (its complete remote
// backups are left alone), stops the backups and restores running on it,
// removes the in-progress cfgs of its unfinished backups (best effort,
// while the target answers, so they do not hold its garbage collection
// off), then deletes the target.
func (c *TargetController) finishDelete(ctx context.Context, cur store.Versioned[model.BackupTarget]) error {
	list, err := c.Records.ForTarget(ctx, cur.Name)
	if err != nil {
		return err
	}
	var unfinished []string
	for _, b := range list {
		if b.Value.Status.State != apitypes.BackupStateCompleted && !b.Value.Hidden {
			unfinished = append(unfinished, b.Value.BackingImageName)
		}
	}
	if err := c.removeRecords(ctx, cur.Name, nil); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if !c.Stores.CancelTarget(wctx, cur.Name) {
		c.Log.Warn("operations on the deleted target did not stop in time", "target", cur.Name)
	}
	c.discardUnfinished(wctx, cur.Value, unfinished)
	c.Stores.Drop(cur.Name)
	err = c.Targets.Delete(ctx, cur.Name, cur.Rev)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// discardUnfinished removes the in-progress cfgs of images on bt, best
// effort: failures are logged, never block the target's deletion.
func (c *TargetController) discardUnfinished(ctx context.Context, bt model.BackupTarget, images []string) {
	if len(images) == 0 || bt.URL == "" {
		return
	}
	st, release, err := c.Stores.acquireTarget(ctx, bt)
	defer release()
	if err == nil {
		err = checkReachable(ctx, st)
	}
	if err != nil {
		c.Log.Warn("in-progress backups of the deleted target stay on it; garbage collection ignores them once abandoned",
			"target", bt.Name, "err", err)
		return
	}
	for _, image := range images {
		removed, _, err := st.DiscardInProgress(ctx, image)
		if err != nil {
			c.Log.Warn("could not remove an in-progress backup of the deleted target", "target", bt.Name, "backup", image, "err", err)
		} else if removed {
			c.Log.Info("removed an in-progress backup of the deleted target", "target", bt.Name, "backup", image)
		}
	}
}

// removeRecords deletes the local records of target for which keep
// returns false (nil keep: all of them).
func (c *TargetController) removeRecords(ctx context.Context, target string, keep func(model.Backup) bool) error {
	list, err := c.Records.ForTarget(ctx, target)
	if err != nil {
		return err
	}
	for _, b := range list {
		if keep != nil && keep(b.Value) {
			continue
		}
		if err := c.Records.Remove(ctx, b); err != nil {
			return fmt.Errorf("remove local record of backup %s: %w", b.Name, err)
		}
	}
	return nil
}
