package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Hide marks the record as belonging to another URL of its target: it is
// kept, left out of lists, and its (target, image) index entry is released
// in the same transaction so the target's new URL may hold a backup of the
// same image. Hiding a hidden record does nothing.
func (r *Records) Hide(ctx context.Context, cur store.Versioned[model.Backup]) error {
	b := cur.Value
	if b.Hidden {
		return nil
	}
	b.Hidden = true
	return r.rewrite(ctx, cur, b, r.releaseIndex(cur.Value))
}

// Unhide shows a hidden record again, claiming its index entry back in the
// same transaction. If another record owns the entry meanwhile, the hidden
// one stays hidden and ok is false.
func (r *Records) Unhide(ctx context.Context, cur store.Versioned[model.Backup]) (bool, error) {
	b := cur.Value
	if !b.Hidden {
		return true, nil
	}
	b.Hidden = false
	key := model.BackupIndexKey(b.BackupTargetName, b.BackingImageName)
	claim := clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", 0)},
		[]clientv3.Op{clientv3.OpPut(key, b.Name)}, nil)
	owner, found, err := r.Owner(ctx, b.BackupTargetName, b.BackingImageName)
	if err != nil {
		return false, err
	}
	if found && owner != b.Name {
		return false, nil
	}
	if err := r.rewrite(ctx, cur, b, claim); err != nil {
		return false, err
	}
	owner, _, err = r.Owner(ctx, b.BackupTargetName, b.BackingImageName)
	if err == nil && owner != b.Name {
		// Lost a race for the index: hide it again.
		cur, gerr := r.Backups.Get(ctx, b.Name)
		if gerr == nil {
			cur.Value.Hidden = true
			_, _ = r.Backups.Update(ctx, b.Name, cur.Value, cur.Rev)
		}
		return false, nil
	}
	return true, err
}

// rewrite writes b over cur (compare-and-swap) together with op.
func (r *Records) rewrite(ctx context.Context, cur store.Versioned[model.Backup], b model.Backup, op clientv3.Op) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	key := r.Backups.Key(b.Name)
	resp, err := r.Etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.Rev)).
		Then(clientv3.OpPut(key, string(data)), op).Commit()
	if err != nil {
		return fmt.Errorf("update backup record %s: %w", b.Name, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("update backup record %s: %w", b.Name, store.ErrConflict)
	}
	return nil
}

// belongs reports whether the record is of the target's current URL (a
// record from before URLs were recorded counts as the current one's).
func belongs(b model.Backup, url string) bool {
	return url != "" && (b.TargetURL == "" || b.TargetURL == url)
}

// showOnly hides the target's records of other URLs and shows its hidden
// records of url again, and returns the records now visible. With url ""
// every record is hidden. Records without a URL are first stamped with
// the URL they were synced from.
func (c *TargetController) showOnly(ctx context.Context, bt model.BackupTarget, url string) ([]store.Versioned[model.Backup], error) {
	list, err := c.Records.ForTarget(ctx, bt.Name)
	if err != nil {
		return nil, err
	}
	// Hide first, so the index entries they release are free for the
	// records that return.
	var mine []store.Versioned[model.Backup]
	for _, v := range list {
		if v.Value.TargetURL == "" && bt.Status.SyncedURL != "" {
			if v, err = c.stampURL(ctx, v, bt.Status.SyncedURL); err != nil {
				return nil, err
			}
		}
		switch {
		case belongs(v.Value, url):
			mine = append(mine, v)
		case v.Value.DeletionRequested != nil:
			// being deleted: the backup controller removes it
		default:
			if err := c.Records.Hide(ctx, v); err != nil && !errors.Is(err, store.ErrConflict) {
				return nil, fmt.Errorf("hide backup record %s: %w", v.Name, err)
			}
		}
	}
	var visible []store.Versioned[model.Backup]
	for _, v := range mine {
		if !v.Value.Hidden {
			visible = append(visible, v)
			continue
		}
		ok, err := c.Records.Unhide(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("show backup record %s again: %w", v.Name, err)
		}
		if !ok {
			continue
		}
		if v, err = c.Records.Backups.Get(ctx, v.Name); err != nil {
			return nil, err
		}
		visible = append(visible, v)
	}
	return visible, nil
}

func (c *TargetController) stampURL(ctx context.Context, v store.Versioned[model.Backup], url string) (store.Versioned[model.Backup], error) {
	v.Value.TargetURL = url
	rev, err := c.Records.Backups.Update(ctx, v.Name, v.Value, v.Rev)
	if err != nil {
		return v, fmt.Errorf("record the target URL of backup %s: %w", v.Name, err)
	}
	v.Rev = rev
	return v, nil
}
