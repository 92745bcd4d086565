package backup

import (
	"context"
	"errors"
	"fmt"
	"github.com/plinth-storage/plinth/internal/memtrim"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/engine"
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
	defer memtrim.Begin()()
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
	defer src.Source.Close()
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
	checksum := bi.Status.CurrentChecksum
	if src.Manifest != nil {
		checksum = src.Manifest.Checksum // the copy's own record
	}
	res, err := st.Backup(ctx, backupstore.BackupRequest{
		Name: b.BackingImageName, Source: src.Source, Manifest: src.Manifest, Compression: method,
		Concurrency: c.Settings.Int(ctx, settings.BackupConcurrentLimit),
		Labels:      b.Labels, Checksum: checksum,
	}, c.progress(ctx, b.Name))
	if errors.Is(err, engine.ErrDamaged) {
		return permanent(c.copyDamaged(ctx, b, src, err))
	}
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
func (c *Controller) openSource(ctx context.Context, image string) (LocalCopy, model.BackingImage, error) {
	v, err := c.BIs.Get(ctx, image)
	if errors.Is(err, store.ErrNotFound) {
		return LocalCopy{}, model.BackingImage{}, fmt.Errorf("backing image %s no longer exists", image)
	}
	if err != nil {
		return LocalCopy{}, model.BackingImage{}, err
	}
	src, err := c.OpenCopy(ctx, v.Value)
	if err != nil {
		return LocalCopy{}, v.Value, fmt.Errorf("cannot read backing image %s: %w", image, err)
	}
	return src, v.Value, nil
}

// copyDamaged handles a backup that found the copy it read damaged (a
// block whose bytes no longer match the copy's manifest; nothing damaged
// was uploaded): the copy is marked failed through CopyDamaged, naming the
// blocks, and the returned error, the backup's, says the same.
func (c *Controller) copyDamaged(ctx context.Context, b model.Backup, src LocalCopy, err error) error {
	damage := &engine.DamagedError{ID: src.ID, Disk: src.DiskPath}
	var sd *backupstore.SourceDamagedError
	var de *engine.DamagedError
	switch {
	case errors.As(err, &sd):
		damage.Offsets = sd.Offsets
	case errors.As(err, &de):
		damage.Offsets, damage.Whole = de.Offsets, de.Whole
	}
	damage.Whole = damage.Whole || len(damage.Offsets) == 0
	if c.CopyDamaged != nil {
		c.CopyDamaged(ctx, src.ID, src.DiskUUID, damage)
	}
	return fmt.Errorf("backup of %s to target %s failed: the local copy it read is damaged, so nothing of it was uploaded "+
		"and the copy is marked failed: %v", b.BackingImageName, b.BackupTargetName, damage)
}

// CopySource is a readable local copy: a backup source that must be closed.
type CopySource interface {
	backupstore.Source
	Close() error
}

// LocalCopy is a ready local copy of a backing image opened for reading.
type LocalCopy struct {
	// Source reads the copy; the caller closes it.
	Source CopySource
	// Manifest is the copy's block manifest; nil makes a backup read and
	// hash the whole copy.
	Manifest *engine.Manifest
	ID       engine.CopyID
	DiskUUID string
	DiskPath string
}

// CopyOpener opens a ready local copy of a backing image (any engine). An
// error says why none could be opened.
type CopyOpener func(ctx context.Context, bi model.BackingImage) (LocalCopy, error)
