package backup

import (
	"context"
	"errors"
	"fmt"
	"github.com/plinth-storage/plinth/internal/backoff"
	"log/slog"
	"regexp"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
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

// Restorer fills backing-image copies from backups; it implements
// backingimage.Restorer.
type Restorer struct {
	Stores   *Stores
	Settings *settings.Store
	Log      *slog.Logger // optional: retried failures are logged
}

// Restore writes the backup named by params into sink. Every block and the
// whole image are verified by the backup store; the verified SHA-512 is
// returned for the caller to commit the copy with. Transient target
// failures are retried: each block download for up to the
// backup-retry-max-interval setting, and the whole restore (a lost lock, an
// unreachable target at the start) up to backup-retry-max-attempts times
// with exponential backoff; permanent errors and bad content fail at once.
func (r *Restorer) Restore(ctx context.Context, params map[string]string, sink backupstore.Sink, progress func(done, total int64)) (string, error) {
	image, _, err := ImageFromBackupURL(params[ParamBackupURL])
	if err != nil {
		return "", err
	}
	pol := policyOf(ctx, r.Settings)
	for attempt := 1; ; attempt++ {
		sum, err := r.restoreOnce(ctx, image, params[ParamBackupTarget], pol, sink, progress)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return sum, err
		}
		if attempt >= pol.MaxAttempts {
			return "", fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := pol.backoff(attempt)
		if r.Log != nil {
			r.Log.Warn("restore attempt failed; "+retryMessage(wait, attempt, err), "backup", image)
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}

func (r *Restorer) restoreOnce(ctx context.Context, image, targetName string, pol retryPolicy, sink backupstore.Sink, progress func(done, total int64)) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer r.Stores.Track(targetName, cancel)()
	st, _, release, err := r.Stores.Acquire(ctx, targetName)
	defer release()
	if err != nil {
		return "", err
	}
	res, err := st.Restore(ctx, image, sink, backupstore.RestoreOptions{
		Concurrency: r.Settings.Int(ctx, settings.RestoreConcurrent),
		RetryFor:    pol.MaxInterval,
	}, func(p backupstore.Progress) { progress(p.Done, p.Total) })
	if err != nil {
		return "", err
	}
	if !res.ChecksumVerified {
		return "", permanent(fmt.Errorf("backup %s carries no SHA-512 checksum to verify the restored image against (its blocks all verified); refusing to mark the copy ready", image))
	}
	return res.Checksum, nil
}

// formatHeadSize is how much of a backup Format reads: a qcow2 header
// cluster is at most 2 MiB, one backup block.
const formatHeadSize = 2 << 20

// Format reads the first block of the backup that params name and tells
// whether the image is raw or qcow2. A qcow2 whose header alone shows it
// unsafe or malformed (imagefmt.CheckHeader: a backing file, an external
// data file, encryption, an unknown feature, a virtual size above the
// setting backing-image-max-size-gib, ...) is an error wrapping
// imagefmt.ErrRefused that says why; the restored copy is judged in full
// again before it is marked ready.
func (r *Restorer) Format(ctx context.Context, params map[string]string) (imagefmt.Format, error) {
	image, _, err := ImageFromBackupURL(params[ParamBackupURL])
	if err != nil {
		return "", err
	}
	st, _, release, err := r.Stores.Acquire(ctx, params[ParamBackupTarget])
	defer release()
	if err != nil {
		return "", err
	}
	head, err := st.Head(ctx, image, formatHeadSize)
	if err != nil {
		return "", err
	}
	limits := imagefmt.Limits{MaxVirtualSize: int64(r.Settings.Int(ctx, settings.MaxImageSizeGiB)) << 30}
	info, err := imagefmt.CheckHeader(head, limits)
	if err != nil {
		return "", fmt.Errorf("backup %s: %w", image, err)
	}
	return info.Format, nil
}
