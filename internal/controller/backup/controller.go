package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// Controller runs backups and deletes them.
type Controller struct {
	Records  *Records
	BIs      *store.Kind[model.BackingImage]
	Stores   *Stores
	Settings *settings.Store
	// OpenCopy opens a ready local copy of a backing image for reading.
	OpenCopy CopyOpener
	// CopyDamaged, if set, is told when a backup found the local copy it
	// read damaged (damage is an *engine.DamagedError naming the blocks);
	// it marks the copy failed.
	CopyDamaged func(ctx context.Context, id engine.CopyID, diskUUID string, damage error)
	Metrics     *Metrics
	Log         *slog.Logger
	Enqueue     func(name string)

	mu      sync.Mutex
	running map[string]context.CancelFunc
}

var _ runner.Reconciler = (*Controller)(nil)

// Reconcile converges one backup record.
func (c *Controller) Reconcile(ctx context.Context, name string) (runner.Result, error) {
	cur, err := c.Records.Backups.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		c.cancel(name)
		return runner.Result{}, nil
	}
	if err != nil {
		return runner.Result{}, err
	}
	b := cur.Value
	if b.DeletionRequested != nil {
		return runner.Result{}, c.finishDelete(ctx, cur)
	}
	switch b.Status.State {
	case apitypes.BackupStateNew:
		return runner.Result{}, c.setStatus(ctx, name, func(s *model.BackupStatus) {
			s.State, s.Progress, s.Error = apitypes.BackupStatePending, 0, ""
		})
	case apitypes.BackupStatePending, apitypes.BackupStateInProgress:
		if b.Hidden {
			c.cancel(name) // its target's URL changed: wait until it returns
			return runner.Result{}, nil
		}
		if wait := retryWait(b.Status); wait > 0 {
			return runner.Result{RequeueAfter: wait}, nil
		}
		c.spawn(ctx, b)
	}
	return runner.Result{}, nil
}

// retryWait is how long a backup waiting to retry must still wait.
func retryWait(s model.BackupStatus) time.Duration {
	if s.RetryAt == nil {
		return 0
	}
	return time.Until(*s.RetryAt)
}

// spawn starts the backup worker of b unless it runs already (after a
// restart an InProgress backup is simply run again: the store resumes it).
func (c *Controller) spawn(parent context.Context, b model.Backup) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[string]context.CancelFunc{}
	}
	if _, busy := c.running[b.Name]; busy {
		return
	}
	ctx, cancel := context.WithCancel(parent)
	c.running[b.Name] = cancel
	finished := c.Stores.Track(b.BackupTargetName, cancel)
	go func() {
		defer func() {
			finished()
			c.mu.Lock()
			delete(c.running, b.Name)
			c.mu.Unlock()
			cancel()
			c.Enqueue(b.Name)
		}()
		c.run(ctx, b)
	}()
}

func (c *Controller) cancel(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.running[name]; ok {
		cancel()
	}
}

// setStatus applies fn to the record's status (no write if unchanged).
func (c *Controller) setStatus(ctx context.Context, name string, fn func(*model.BackupStatus)) error {
	_, err := c.Records.Backups.Mutate(context.WithoutCancel(ctx), name, func(b *model.Backup) error {
		if b.DeletionRequested != nil {
			return store.ErrNoChange
		}
		before := fmt.Sprintf("%+v", b.Status)
		fn(&b.Status)
		if fmt.Sprintf("%+v", b.Status) == before {
			return store.ErrNoChange
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// finishDelete records the state Deleting, removes the remote backup
// (unless localOnly) and then the record. While the target cannot be
// reached the record stays Deleting with the reason, and the delete is
// retried with backoff.
func (c *Controller) finishDelete(ctx context.Context, cur store.Versioned[model.Backup]) error {
	b := cur.Value
	c.cancel(b.Name)
	if b.Status.State != apitypes.BackupStateDeleting {
		_, err := c.Records.Backups.Mutate(ctx, b.Name, func(r *model.Backup) error {
			if r.Status.State == apitypes.BackupStateDeleting {
				return store.ErrNoChange
			}
			r.Status.State = apitypes.BackupStateDeleting
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if !b.LocalOnly {
		if err := c.deleteRemote(ctx, b); err != nil {
			msg := fmt.Sprintf("deleting the remote backup failed, retrying: %v", err)
			_, _ = c.Records.Backups.Mutate(ctx, b.Name, func(r *model.Backup) error {
				if r.Status.State == apitypes.BackupStateDeleting && r.Status.Error == msg {
					return store.ErrNoChange
				}
				r.Status.State, r.Status.Error = apitypes.BackupStateDeleting, msg
				return nil
			})
			return err
		}
	}
	cur, err := c.Records.Backups.Get(ctx, b.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.Records.Remove(ctx, cur)
}

func (c *Controller) deleteRemote(ctx context.Context, b model.Backup) error {
	if cur, err := c.Stores.Targets.Get(ctx, b.BackupTargetName); err == nil &&
		(b.Hidden || (b.TargetURL != "" && b.TargetURL != cur.Value.URL)) {
		c.Log.Warn("backup record removed; its remote data stays, because its target's URL changed since",
			"backup", b.Name, "target", b.BackupTargetName)
		return nil
	}
	st, bt, release, err := c.Stores.Acquire(ctx, b.BackupTargetName)
	defer release()
	if err != nil {
		if errors.Is(err, errkind.KindNotFound) {
			return nil // the target is gone; nothing remote to delete through it
		}
		return err
	}
	if err := checkAvailable(ctx, st, bt); err != nil {
		return err
	}
	res, err := st.Delete(ctx, b.BackingImageName)
	if errors.Is(err, backupstore.ErrGCAborted) {
		c.Log.Warn("backup deleted; unused blocks will be collected later", "backup", b.Name, "err", err)
		return nil
	}
	if err == nil {
		c.Log.Info("backup deleted", "backup", b.Name, "blocksRemoved", res.Removed, "blocksKept", res.Kept, "gcSkipped", res.Skipped)
	}
	return err
}

// progress returns a ProgressFunc recording the backup's percentage at
// most every progressEvery. A percentage that arrives sooner is not lost:
// it is recorded when the interval ends (unless a newer one replaced it),
// so a backup whose work comes in one burst still shows where it got to.
func (c *Controller) progress(ctx context.Context, name string) backupstore.ProgressFunc {
	t := &throttle{every: progressEvery}
	return func(p backupstore.Progress) {
		t.offer(p.Percent, p.Percent >= 100, func(pct int) {
			_ = c.setStatus(ctx, name, func(s *model.BackupStatus) {
				if s.State == apitypes.BackupStateInProgress {
					s.Progress = min(pct, 99)
				}
			})
		})
	}
}

// progressEvery bounds how often a backup's progress is written to etcd.
const progressEvery = 500 * time.Millisecond

// throttle passes at most one value per interval to its write function,
// and the last value offered during an interval when the interval ends.
type throttle struct {
	every   time.Duration
	mu      sync.Mutex
	last    time.Time
	pending *int
	timer   *time.Timer
}

// offer writes v now if the interval since the last write has passed (or
// force is set), else keeps it to be written when the interval ends.
func (t *throttle) offer(v int, force bool, write func(int)) {
	t.mu.Lock()
	wait := t.every - time.Since(t.last)
	if force || wait <= 0 {
		t.last, t.pending = time.Now(), nil
		t.mu.Unlock()
		write(v)
		return
	}
	t.pending = &v
	if t.timer == nil {
		t.timer = time.AfterFunc(wait, func() { t.flush(write) })
	}
	t.mu.Unlock()
}

func (t *throttle) flush(write func(int)) {
	t.mu.Lock()
	t.timer = nil
	p := t.pending
	t.pending = nil
	if p != nil {
		t.last = time.Now()
	}
	t.mu.Unlock()
	if p != nil {
		write(*p)
	}
}
