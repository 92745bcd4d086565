package backup

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// BadBlocks keeps each target's record of damaged blocks in etcd (kind
// model.KindBadBlocks, named after the target).
type BadBlocks struct {
	Kind *store.Kind[model.BadBlocks]
}

// ForTarget returns the record of target name, for backupstore.Options.
func (b *BadBlocks) ForTarget(name string) backupstore.BadBlockRecord {
	return &targetBadBlocks{kind: b.Kind, target: name}
}

type targetBadBlocks struct {
	kind   *store.Kind[model.BadBlocks]
	target string
}

var _ backupstore.BadBlockRecord = (*targetBadBlocks)(nil)

// Load returns the remembered IDs; a target without a record has none.
func (t *targetBadBlocks) Load(ctx context.Context) ([]string, error) {
	v, err := t.kind.Get(ctx, t.target)
	if errors.Is(err, store.ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return v.Value.IDs, nil
}

// Update applies add then remove with a compare-and-swap write, creating
// the record on first use; an update that changes nothing writes nothing.
func (t *targetBadBlocks) Update(ctx context.Context, add, remove []string) error {
	for {
		v, err := t.kind.Get(ctx, t.target)
		if errors.Is(err, store.ErrNotFound) {
			ids := applyBadBlocks(nil, add, remove)
			if len(ids) == 0 {
				return nil
			}
			rec := model.BadBlocks{Target: t.target, IDs: ids, UpdatedAt: time.Now().UTC()}
			if _, err = t.kind.Create(ctx, t.target, rec); !errors.Is(err, store.ErrExists) {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		ids := applyBadBlocks(v.Value.IDs, add, remove)
		if slices.Equal(ids, v.Value.IDs) {
			return nil
		}
		rec := v.Value
		rec.IDs, rec.UpdatedAt = ids, time.Now().UTC()
		if _, err = t.kind.Update(ctx, t.target, rec, v.Rev); !errors.Is(err, store.ErrConflict) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// applyBadBlocks returns ids + add - remove, sorted and without repeats.
func applyBadBlocks(ids, add, remove []string) []string {
	set := make(map[string]struct{}, len(ids)+len(add))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	for _, id := range add {
		set[id] = struct{}{}
	}
	for _, id := range remove {
		delete(set, id)
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
