package backup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Records is the local store of backup records with the (target, image)
// uniqueness index maintained in the same transactions.
type Records struct {
	Backups *store.Kind[model.Backup]
	Etcd    *clientv3.Client
}

// GenerateName returns "<image>-<8 random [a-z0-9]>".
func GenerateName(image string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return image + "-" + string(b)
}

// Create stores b, claiming the (target, image) index in the same etcd
// transaction: if another backup of the image on the target exists (or is
// being created concurrently) the result is a 409 naming it. With generate
// set, a name collision is retried with a fresh generated name.
func (r *Records) Create(ctx context.Context, b model.Backup, generate bool) (model.Backup, error) {
	return r.createNamed(ctx, b, generate, func(b model.Backup) store.Guard {
		return store.Unique(r.Etcd, model.BackupIndexKey(b.BackupTargetName, b.BackingImageName), b.Name,
			func(existing string) error {
				return r.alreadyBackedUp(ctx, b.BackingImageName, b.BackupTargetName, existing)
			})
	})
}

// createNamed creates b under the transaction guard(b); with generate set,
// a name collision is retried (5 times) with a fresh generated name, and
// otherwise it is a 409.
func (r *Records) createNamed(ctx context.Context, b model.Backup, generate bool, guard func(model.Backup) store.Guard) (model.Backup, error) {
	for attempt := 0; ; attempt++ {
		_, err := r.Backups.Create(ctx, b.Name, b, guard(b))
		if err == nil {
			return b, nil
		}
		if errors.Is(err, store.ErrExists) {
			if generate && attempt < 5 {
				b.Name = GenerateName(b.BackingImageName)
				continue
			}
			return b, errkind.Conflict("a backup named %s already exists; choose another name", b.Name)
		}
		return b, err
	}
}

// alreadyBackedUp is the 409 for a second backup of image on target; it
// names the existing backup and its state.
func alreadyBackedUp(image, target, existing, state string) error {
	return errkind.Conflict("backing image %s is already backed up to target %s as backup %s (%s); delete that backup first to make a new one",
		image, target, existing, stateName(state))
}

// Replace creates b in place of old, a failed backup of the same image on
// the same target, in one etcd transaction: old is deleted (if unchanged
// since it was read), b is created and the (target, image) index moves to
// b. A concurrent change of old or of the index is a 409.
func (r *Records) Replace(ctx context.Context, old store.Versioned[model.Backup], b model.Backup, generate bool) (model.Backup, error) {
	if b.Name == old.Name {
		if _, err := r.Backups.Update(ctx, b.Name, b, old.Rev); err != nil {
			return b, r.replaceFailed(old, err)
		}
		return b, nil
	}
	key := model.BackupIndexKey(b.BackupTargetName, b.BackingImageName)
	return r.createNamed(ctx, b, generate, func(b model.Backup) store.Guard {
		return store.Guard{
			Cmps: []clientv3.Cmp{
				clientv3.Compare(clientv3.ModRevision(r.Backups.Key(old.Name)), "=", old.Rev),
				clientv3.Compare(clientv3.Value(key), "=", old.Name),
			},
			Ops: []clientv3.Op{clientv3.OpDelete(r.Backups.Key(old.Name)), clientv3.OpPut(key, b.Name)},
			Failed: func(ctx context.Context) error {
				return errkind.Conflict("backup %s of %s on target %s changed while it was being replaced; try again", old.Name, b.BackingImageName, b.BackupTargetName)
			},
		}
	})
}

func (r *Records) replaceFailed(old store.Versioned[model.Backup], err error) error {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return errkind.Conflict("backup %s changed while it was being replaced; try again", old.Name)
	}
	return err
}

// alreadyBackedUp reads the existing backup's state for the 409.
func (r *Records) alreadyBackedUp(ctx context.Context, image, target, existing string) error {
	state := "unknown state"
	if v, err := r.Backups.Get(ctx, existing); err == nil {
		state = v.Value.Status.State
	}
	return alreadyBackedUp(image, target, existing, state)
}

// Owner returns the name of the backup of image on target, if there is
// one, from the uniqueness index (one read, whatever the number of backups).
func (r *Records) Owner(ctx context.Context, target, image string) (string, bool, error) {
	resp, err := r.Etcd.Get(ctx, model.BackupIndexKey(target, image))
	if err != nil {
		return "", false, fmt.Errorf("read the backup index: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", false, nil
	}
	return string(resp.Kvs[0].Value), true, nil
}

// Remove deletes the record and its index entry in one transaction.
func (r *Records) Remove(ctx context.Context, cur store.Versioned[model.Backup]) error {
	b := cur.Value
	err := r.Backups.Delete(ctx, b.Name, cur.Rev, r.releaseIndex(b))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// releaseIndex deletes the index key only while it still names b.
func (r *Records) releaseIndex(b model.Backup) clientv3.Op {
	key := model.BackupIndexKey(b.BackupTargetName, b.BackingImageName)
	return clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(key), "=", b.Name)},
		[]clientv3.Op{clientv3.OpDelete(key)}, nil)
}

// ForTarget lists the records of one target.
func (r *Records) ForTarget(ctx context.Context, target string) ([]store.Versioned[model.Backup], error) {
	all, _, err := r.Backups.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var out []store.Versioned[model.Backup]
	for _, b := range all {
		if b.Value.BackupTargetName == target {
			out = append(out, b)
		}
	}
	return out, nil
}
