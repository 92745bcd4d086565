package backup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// sync lists the target's backups and brings the local records in line:
// complete remote backups unknown here become records (userCreated false),
// changed ones are refreshed, and records of backups that vanished are
// removed, but only on the strength of a listing that succeeded. Records of
// backups this installation is still making are never touched.
func (c *TargetController) sync(ctx context.Context, bt model.BackupTarget) error {
	st, release, err := c.Stores.acquireTarget(ctx, bt)
	defer release()
	if err != nil {
		return err
	}
	local, err := c.showOnly(ctx, bt, bt.URL)
	if err != nil {
		return err
	}
	byImage := map[string]store.Versioned[model.Backup]{}
	seen := map[string]backupstore.Stamp{}
	for _, b := range local {
		byImage[b.Value.BackingImageName] = b
		if b.Value.Status.State == apitypes.BackupStateCompleted && bt.Status.SyncedURL == bt.URL {
			seen[b.Value.BackingImageName] = backupstore.Stamp{Size: b.Value.Status.StampSize, ModTime: b.Value.Status.StampModTime}
		} else if b.Value.Status.State == apitypes.BackupStateCompleted {
			seen[b.Value.BackingImageName] = backupstore.Stamp{} // URL changed: reload everything
		}
	}
	listing, err := st.ListChanged(ctx, seen)
	if err != nil {
		return err
	}
	for _, s := range listing.Loaded {
		if err := c.adoptRemote(ctx, bt, s, byImage); err != nil {
			return err
		}
	}
	for _, image := range listing.Gone {
		b, ok := byImage[image]
		if !ok || b.Value.Status.State != apitypes.BackupStateCompleted || b.Value.DeletionRequested != nil {
			continue
		}
		if err := c.Records.Remove(ctx, b); err != nil {
			return fmt.Errorf("remove record of vanished backup %s: %w", b.Name, err)
		}
	}
	return nil
}

// adoptRemote creates or refreshes the record of one remote backup.
func (c *TargetController) adoptRemote(ctx context.Context, bt model.BackupTarget, s backupstore.Summary, byImage map[string]store.Versioned[model.Backup]) error {
	if s.InProgress || s.Invalid != "" {
		return nil // not restorable: not shown as a completed backup
	}
	status := remoteStatus(bt, s)
	cur, ok := byImage[s.Name]
	if !ok {
		b := model.Backup{Name: GenerateName(s.Name), BackingImageName: s.Name, BackupTargetName: bt.Name,
			Labels: s.Labels, CreatedAt: time.Now().UTC(), Status: status, TargetURL: bt.URL}
		_, err := c.Records.Create(ctx, b, true)
		if errors.Is(err, errkind.KindConflict) {
			return nil // created concurrently by a backup request
		}
		return err
	}
	if cur.Value.Status.State != apitypes.BackupStateCompleted || cur.Value.DeletionRequested != nil {
		return nil // ours, in flight: the backup controller owns it
	}
	_, err := c.Records.Backups.Mutate(ctx, cur.Name, func(b *model.Backup) error {
		status.Progress = 100
		if len(b.Status.Messages) > 0 {
			status.Messages = b.Status.Messages // keep the result of our own backup
		}
		if fmt.Sprintf("%+v", b.Status) == fmt.Sprintf("%+v", status) && b.TargetURL == bt.URL {
			return store.ErrNoChange // an unchanged record must not wake its watchers
		}
		b.Status, b.TargetURL = status, bt.URL
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// remoteStatus is the record status of a complete remote backup.
func remoteStatus(bt model.BackupTarget, s backupstore.Summary) model.BackupStatus {
	return model.BackupStatus{
		State: apitypes.BackupStateCompleted, Progress: 100,
		URL: BackupURL(bt.URL, s.Name), Size: s.Size, Checksum: s.Checksum,
		CompressionMethod: s.CompressionMethod, BackupCreatedAt: s.CreatedTime,
		RemoteLabels: s.Labels, Messages: map[string]string{},
		StampSize: s.Stamp.Size, StampModTime: s.Stamp.ModTime,
	}
}

// BackupURL is Longhorn's URL of a backing-image backup on a target: the
// target URL with a backingImage query parameter.
func BackupURL(targetURL, image string) string {
	u, err := url.Parse(targetURL)
	if err != nil {
		return targetURL + "?backingImage=" + url.QueryEscape(image)
	}
	q := u.Query()
	q.Set("backingImage", image)
	u.RawQuery = q.Encode()
	return u.String()
}

// ImageFromBackupURL returns the backing image named by a backup URL and
// the target URL without that parameter.
func ImageFromBackupURL(backupURL string) (image, targetURL string, err error) {
	u, err := url.Parse(backupURL)
	if err != nil {
		return "", "", fmt.Errorf("invalid backup URL: %w", err)
	}
	q := u.Query()
	image = q.Get("backingImage")
	if image == "" {
		return "", "", fmt.Errorf("backup URL %s lacks the backingImage parameter", u.Redacted())
	}
	q.Del("backingImage")
	u.RawQuery = q.Encode()
	return image, u.String(), nil
}
