package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backoff"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// Restore parameters of a backing image with sourceType restore.
const (
	ParamBackupURL    = "backup-url"
	ParamBackupTarget = "backup-target-name"
)

var sha512Hex = regexp.MustCompile(`^[0-9a-f]{128}$`)

// RestoreImage returns the backing image that restores backup name: name
// defaults to the original image's; a backup that is not Completed, or an
// image name that exists, is a 409. The caller creates the returned image.
func (s *Service) RestoreImage(ctx context.Context, name string, in apitypes.BackingImageRestoreInput) (model.BackingImage, error) {
	v, err := s.Records.Backups.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return model.BackingImage{}, errkind.NotFound("backup backing image %s not found", name)
	}
	if err != nil {
		return model.BackingImage{}, err
	}
	b := v.Value
	if b.Status.State != apitypes.BackupStateCompleted {
		return model.BackingImage{}, errkind.Conflict("backup %s is %s; only a Completed backup can be restored", name, stateName(b.Status.State))
	}
	image := in.Name
	if image == "" {
		image = b.BackingImageName
	}
	if _, err := s.BIs.Get(ctx, image); err == nil {
		return model.BackingImage{}, errkind.Conflict("backing image %s already exists; delete it first or restore under another name", image)
	}
	bi := model.BackingImage{Name: image, SourceType: apitypes.SourceRestore,
		Parameters: map[string]string{ParamBackupURL: b.Status.URL, ParamBackupTarget: b.BackupTargetName}}
	if sum := strings.ToLower(b.Status.Checksum); sha512Hex.MatchString(sum) {
		bi.ExpectedChecksum = sum
	}
	return bi, nil
}

func stateName(s string) string {
	if s == "" {
		return "new"
	}
	return s
}

// Restorer hands out the backups that backing-image copies are restored
// from; it implements backingimage.Restorers.
type Restorer struct {
	Stores   *Stores
	Settings *settings.Store
	Log      *slog.Logger // optional: retried failures are logged
}

// ForParams returns the backup that a backing image's restore parameters
// (backup-url, backup-target-name) name, to restore from; an error when
// the URL names no backup.
func (r *Restorer) ForParams(params map[string]string) (engine.BackupReader, error) {
	image, _, err := ImageFromBackupURL(params[ParamBackupURL])
	if err != nil {
		return nil, err
	}
	return &backupReader{r: r, image: image, target: params[ParamBackupTarget]}, nil
}

// backupReader is one backup on one target, read through the target's
// store.
type backupReader struct {
	r             *Restorer
	image, target string
}

var _ engine.BackupReader = (*backupReader)(nil)

// Restore writes the backup into sink. Every block is verified by the
// backup store against its ID; the image's SHA-512 and manifest come from
// the cfg's block list (a foreign cfg without a SHA-512 checksum gets a
// full pass, and FullPass says so). Transient target failures are retried:
// each block download for up to the backup-retry-max-interval setting,
// and the whole restore (a lost lock, an unreachable target at the start)
// up to backup-retry-max-attempts times with exponential backoff;
// permanent errors and bad content fail at once.
func (b *backupReader) Restore(ctx context.Context, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	pol := policyOf(ctx, b.r.Settings)
	for attempt := 1; ; attempt++ {
		res, err := b.restoreOnce(ctx, pol, sink, progress)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return res, err
		}
		if attempt >= pol.MaxAttempts {
			return engine.Restored{}, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := pol.backoff(attempt)
		if b.r.Log != nil {
			b.r.Log.Warn("restore attempt failed; "+retryMessage(wait, attempt, err), "backup", b.image)
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return engine.Restored{}, err
		}
	}
}

func (b *backupReader) restoreOnce(ctx context.Context, pol retryPolicy, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer b.r.Stores.Track(b.target, cancel)()
	st, _, release, err := b.r.Stores.Acquire(ctx, b.target)
	defer release()
	if err != nil {
		return engine.Restored{}, err
	}
	res, err := st.Restore(ctx, b.image, sink, backupstore.RestoreOptions{
		Concurrency: b.r.Settings.Int(ctx, settings.RestoreConcurrent),
		RetryFor:    pol.MaxInterval,
	}, func(p backupstore.Progress) { progress(p.Done, p.Total) })
	if err != nil {
		return engine.Restored{}, err
	}
	if !res.ChecksumVerified && !res.FullPass {
		return engine.Restored{}, permanent(fmt.Errorf("backup %s carries no SHA-512 checksum to verify the restored image against (its blocks all verified); refusing to mark the copy ready", b.image))
	}
	return res.Restored(), nil
}

// formatHeadSize is how much of a backup Format reads: a qcow2 header
// cluster is at most 2 MiB, one backup block.
const formatHeadSize = 2 << 20

// Format reads the first block of the backup and tells
// whether the image is raw or qcow2. A qcow2 whose header alone shows it
// unsafe or malformed (imagefmt.CheckHeader: a backing file, an external
// data file, encryption, an unknown feature, a virtual size above the
// setting backing-image-max-size-gib, ...) is an error wrapping
// imagefmt.ErrRefused that says why; the restored copy is judged in full
// again before it is marked ready.
func (b *backupReader) Format(ctx context.Context) (imagefmt.Format, error) {
	st, _, release, err := b.r.Stores.Acquire(ctx, b.target)
	defer release()
	if err != nil {
		return "", err
	}
	head, err := st.Head(ctx, b.image, formatHeadSize)
	if err != nil {
		return "", err
	}
	limits := imagefmt.Limits{MaxVirtualSize: int64(b.r.Settings.Int(ctx, settings.MaxImageSizeGiB)) << 30}
	info, err := imagefmt.CheckHeader(head, limits)
	if err != nil {
		return "", fmt.Errorf("backup %s: %w", b.image, err)
	}
	return info.Format, nil
}
