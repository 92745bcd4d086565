package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Service holds the request-time logic of backups: the checks and
// transactions behind the API's create, batch and restore actions.
type Service struct {
	Records  *Records
	BIs      *store.Kind[model.BackingImage]
	Targets  *store.Kind[model.BackupTarget]
	Stores   *Stores
	Enqueue  func(name string)
	CheckNow func(target string) // asks the target controller to re-check
	// ValidName checks a user-given backup name (the API's naming rules).
	ValidName func(name string) error
	// OpenCopy opens a ready local copy of a backing image (verify's repair).
	OpenCopy CopyOpener
}

// Create makes a backup of image on the request's target (default:
// "default"). It returns a client error (errkind) for every refusal: a
// missing image or target is 404; an image without a ready copy, an
// existing Completed or InProgress backup of the image on that target (the
// message says its state), a taken name, or a backup of the same name with
// different content (on the target, or a record a sync made of it) is 409;
// an unreachable target is 503. An existing backup in Error is replaced by
// the new one in one transaction. A remote backup with the same checksum
// is adopted: the record is created Completed and nothing is uploaded.
func (s *Service) Create(ctx context.Context, image string, in apitypes.BackupBackingImageCreateInput) (model.Backup, error) {
	bi, err := s.readyImage(ctx, image)
	if err != nil {
		return model.Backup{}, err
	}
	targetName := in.BackupTargetName
	if targetName == "" {
		targetName = model.DefaultTargetName
	}
	name, generated := in.Name, false
	if name == "" || name == image {
		name, generated = GenerateName(image), true
	} else if err := s.ValidName(name); err != nil {
		return model.Backup{}, err
	}
	failed, err := s.refuseDuplicate(ctx, targetName, bi)
	if err != nil {
		return model.Backup{}, err
	}
	st, bt, release, err := s.Stores.Acquire(ctx, targetName)
	defer release()
	if err != nil {
		return model.Backup{}, err
	}
	if err := checkAvailable(ctx, st, bt); err != nil {
		if s.CheckNow != nil {
			s.CheckNow(targetName)
		}
		return model.Backup{}, err
	}
	b := model.Backup{Name: name, BackingImageName: image, BackupTargetName: targetName, UserCreated: true,
		Labels: in.Labels, CreatedAt: time.Now().UTC(), TargetURL: bt.URL}
	if b.Labels == nil {
		b.Labels = map[string]string{}
	}
	if err := s.matchRemote(ctx, st, bt, bi, &b); err != nil {
		return model.Backup{}, err
	}
	if b.Status.State == apitypes.BackupStateNew {
		// Pending from the start: the reply and a concurrent 409 show a
		// state a user can read, not Longhorn's empty one.
		b.Status.State = apitypes.BackupStatePending
	}
	if failed != nil {
		b, err = s.Records.Replace(ctx, *failed, b, generated)
	} else {
		b, err = s.Records.Create(ctx, b, generated)
	}
	if err == nil {
		s.Enqueue(b.Name)
	}
	return b, err
}

// readyImage loads the image and insists on a ready copy.
func (s *Service) readyImage(ctx context.Context, image string) (model.BackingImage, error) {
	v, err := s.BIs.Get(ctx, image)
	if errors.Is(err, store.ErrNotFound) {
		return model.BackingImage{}, errkind.NotFound("backing image %s not found", image)
	}
	if err != nil {
		return model.BackingImage{}, err
	}
	bi := v.Value
	if bi.DeletionRequested != nil {
		return bi, errkind.Conflict("backing image %s is being deleted", image)
	}
	if bi.ReadyCopies() == 0 {
		return bi, errkind.Conflict("backing image %s has no ready copy yet; back it up once it is ready", image)
	}
	return bi, nil
}

// refuseDuplicate gives the friendly 409 early; the create transaction
// enforces the same rule atomically. An existing backup in Error is
// returned: the new backup replaces it. A record a sync made of another
// installation's backup with different content is the checksum conflict.
func (s *Service) refuseDuplicate(ctx context.Context, target string, bi model.BackingImage) (*store.Versioned[model.Backup], error) {
	if _, err := s.Targets.Get(ctx, target); errors.Is(err, store.ErrNotFound) {
		return nil, errkind.NotFound("backup target %s not found", target)
	}
	existing, found, err := s.Records.Owner(ctx, target, bi.Name)
	if err != nil || !found {
		return nil, err
	}
	cur, err := s.Records.Backups.Get(ctx, existing)
	if errors.Is(err, store.ErrNotFound) {
		return nil, alreadyBackedUp(bi.Name, target, existing, "being removed")
	}
	if err != nil {
		return nil, err
	}
	b := cur.Value
	switch {
	case b.DeletionRequested != nil:
		return nil, errkind.Conflict("backing image %s has a backup on target %s, %s, that is being deleted; try again once it is gone",
			bi.Name, target, existing)
	case b.Status.State == apitypes.BackupStateError:
		return &cur, nil
	case !b.UserCreated && b.Status.State == apitypes.BackupStateCompleted && b.Status.Checksum != bi.Status.CurrentChecksum:
		return nil, checksumConflict(target, bi, b.Status.Checksum)
	}
	return nil, alreadyBackedUp(bi.Name, target, existing, b.Status.State)
}

// checksumConflict is the 409 for a backup of the image's name on the
// target that holds other content.
func checksumConflict(target string, bi model.BackingImage, remote string) error {
	return errkind.Conflict("backup target %s already holds a backup of %s with checksum %s, but the image's checksum is %s; "+
		"it was written by another installation or from other content: delete it there or restore it under another name",
		target, bi.Name, displayChecksum(remote), bi.Status.CurrentChecksum)
}

// Retry puts a backup in Error back to Pending with a fresh retry budget.
// A missing backup is 404; one in any other state is 409 naming it.
func (s *Service) Retry(ctx context.Context, name string) (model.Backup, error) {
	b, err := s.Records.Backups.Mutate(ctx, name, func(b *model.Backup) error {
		if b.DeletionRequested != nil {
			return errkind.Conflict("backup %s is being deleted", name)
		}
		if b.Status.State != apitypes.BackupStateError {
			return errkind.Conflict("backup %s is %s; only a backup in Error can be retried", name, stateName(b.Status.State))
		}
		b.Status.State, b.Status.Error, b.Status.Progress = apitypes.BackupStatePending, "", 0
		b.Status.Attempt, b.Status.RetryAt = 0, nil
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return b, errkind.NotFound("backup backing image %s not found", name)
	}
	if err == nil {
		s.Enqueue(name)
	}
	return b, err
}

// checkAvailable is a 503 naming the target unless it answers its check.
func checkAvailable(ctx context.Context, st *backupstore.Store, bt model.BackupTarget) error {
	if err := checkReachable(ctx, st); err != nil {
		return errkind.Unavailable("backup target %s is not available: %v", bt.Name, err)
	}
	return nil
}

// matchRemote looks at what the target already holds under the image's
// name: nothing or an unfinished backup means a new backup; a complete one
// with the same checksum is adopted; a different one is a 409.
func (s *Service) matchRemote(ctx context.Context, st *backupstore.Store, bt model.BackupTarget, bi model.BackingImage, b *model.Backup) error {
	cfg, err := st.Inspect(ctx, bi.Name)
	switch {
	case errors.Is(err, backupstore.ErrNotFound):
		return nil
	case err != nil:
		return errkind.Unavailable("reading backup target %s failed: %v", bt.Name, err)
	case cfg.InProgress():
		return nil
	case cfg.Checksum != bi.Status.CurrentChecksum:
		return checksumConflict(bt.Name, bi, cfg.Checksum)
	}
	b.Status = model.BackupStatus{
		State: apitypes.BackupStateCompleted, Progress: 100, URL: BackupURL(bt.URL, bi.Name),
		Size: int64(cfg.Size), Checksum: cfg.Checksum, CompressionMethod: cfg.CompressionMethod,
		BackupCreatedAt: cfg.CreatedTime, RemoteLabels: cfg.Labels,
		Messages: map[string]string{"result": "adopted an identical backup already on the target; nothing uploaded"},
	}
	return nil
}

func displayChecksum(sum string) string {
	if sum == "" {
		return "(none)"
	}
	return sum
}

// Batch backs up several images to one target; one result per image, in
// order. One failing item never fails the others.
func (s *Service) Batch(ctx context.Context, in apitypes.BackupBackingImageBatchCreateInput) []BatchResult {
	out := make([]BatchResult, 0, len(in.BackingImageNames))
	for _, image := range in.BackingImageNames {
		b, err := s.Create(ctx, image, apitypes.BackupBackingImageCreateInput{BackupTargetName: in.BackupTargetName})
		out = append(out, BatchResult{Image: image, Backup: b, Err: err})
	}
	return out
}

// BatchResult is one item of a batch: Backup, or Err.
type BatchResult struct {
	Image  string
	Backup model.Backup
	Err    error
}

// Error formats a batch item's error with its status.
func (r BatchResult) Error() string { return fmt.Sprintf("%s: %v", r.Image, r.Err) }
