package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// run performs one attempt of a backup: it reads a ready local copy of
// the image and writes it to the target's store, then records the outcome.
// A transient failure leaves the backup InProgress with the attempt count
// and the time of the next attempt (see Reconcile); a permanent one, or the
// last allowed attempt, ends it in Error.
func (c *Controller) run(ctx context.Context, b model.Backup) {
	err := c.backup(ctx, b)
	if err == nil || ctx.Err() != nil {
		return
	}
	pol := policyOf(ctx, c.Settings)
	retry := retryable(err)
	_ = c.setStatus(ctx, b.Name, func(s *model.BackupStatus) {
		attempt := s.Attempt + 1
		if !retry || attempt >= pol.MaxAttempts {
			s.State, s.Error, s.RetryAt = apitypes.BackupStateError, err.Error(), nil
			if retry {
				s.Error = fmt.Sprintf("gave up after %d attempts: %v", attempt, err)
			}
			s.Attempt = attempt
			return
		}
		wait := pol.backoff(attempt)
		at := time.Now().Add(wait).UTC()
		msg := retryMessage(wait, attempt, err)
		s.State, s.Error, s.Attempt, s.RetryAt = apitypes.BackupStateInProgress, msg, attempt, &at
		if s.Messages == nil {
			s.Messages = map[string]string{}
		}
		s.Messages["retry"] = msg
	})
	if !retry {
		c.Log.Warn("backup failed", "backup", b.Name, "err", err)
		c.Metrics.finished(b.BackupTargetName, "error", backupstore.BackupStats{})
		return
	}
	c.Log.Warn("backup attempt failed; it will be retried", "backup", b.Name, "err", err)
}

func (c *Controller) backup(ctx context.Context, b model.Backup) error {
	src, bi, err := c.openSource(ctx, b.BackingImageName)
	if err != nil {
		return permanent(err)
	}
	defer src.Close()
	st, bt, release, err := c.Stores.Acquire(ctx, b.BackupTargetName)
	defer release()
	if err != nil {
		return err
	}
	if err := c.setStatus(ctx, b.Name, func(s *model.BackupStatus) {
		s.State, s.Error, s.RetryAt = apitypes.BackupStateInProgress, "", nil
	}); err != nil {
		return err
	}
	method, _ := c.Settings.Get(ctx, settings.BackupCompression)
	res, err := st.Backup(ctx, backupstore.BackupRequest{
		Name: b.BackingImageName, Source: src, Compression: method,
		Concurrency: c.Settings.Int(ctx, settings.BackupConcurrentLimit),
		Labels:      b.Labels, Checksum: bi.Status.CurrentChecksum,
	}, c.progress(ctx, b.Name))
	if err != nil {
		return fmt.Errorf("backup of %s to target %s failed: %w", b.BackingImageName, b.BackupTargetName, err)
	}
	cfg := res.Config
	c.Metrics.finished(b.BackupTargetName, "completed", res.Stats)
	stamp, _ := st.StampOf(ctx, b.BackingImageName) // lets the next sync skip this cfg
	return c.setStatus(ctx, b.Name, func(s *model.BackupStatus) {
		s.StampSize, s.StampModTime = stamp.Size, stamp.ModTime
		s.State, s.Progress, s.Error = apitypes.BackupStateCompleted, 100, ""
		s.Attempt, s.RetryAt = 0, nil
		s.URL = BackupURL(bt.URL, b.BackingImageName)
		s.Size, s.Checksum = int64(cfg.Size), cfg.Checksum
		s.CompressionMethod, s.BackupCreatedAt = cfg.CompressionMethod, cfg.CreatedTime
		s.RemoteLabels = cfg.Labels
		s.Messages = map[string]string{"result": resultMessage(res)}
	})
}

func resultMessage(res backupstore.BackupResult) string {
	if res.Adopted {
		return "adopted an identical backup already on the target; nothing uploaded"
	}
	st := res.Stats
	return fmt.Sprintf("%d blocks uploaded (%d bytes), %d already on the target, %d zero blocks skipped",
		st.Uploaded, st.BytesUploaded, st.Deduplicated, st.ZeroBlocks)
}

// openSource opens a ready local copy of the image, of either engine.
func (c *Controller) openSource(ctx context.Context, image string) (CopySource, model.BackingImage, error) {
	v, err := c.BIs.Get(ctx, image)
	if errors.Is(err, store.ErrNotFound) {
		return nil, model.BackingImage{}, fmt.Errorf("backing image %s no longer exists", image)
	}
	if err != nil {
		return nil, model.BackingImage{}, err
	}
	src, err := c.OpenCopy(v.Value)
	if err != nil {
		return nil, v.Value, fmt.Errorf("cannot read backing image %s: %w", image, err)
	}
	return src, v.Value, nil
}

// CopySource is a readable local copy: a backup source that must be closed.
type CopySource interface {
	backupstore.Source
	Close() error
}
