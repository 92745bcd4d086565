package retry

import (
	"context"

	"github.com/plinth-storage/plinth/internal/target"
)

// Put retries transient failures; Put is idempotent.
func (r *Target) Put(ctx context.Context, key string, data []byte) error {
	return r.do(ctx, target.OpPut, key, func() error { return r.Target.Put(ctx, key, data) })
}

// Get retries transient failures.
func (r *Target) Get(ctx context.Context, key string) (data []byte, err error) {
	err = r.do(ctx, target.OpGet, key, func() error {
		data, err = r.Target.Get(ctx, key)
		return err
	})
	return data, err
}

// Stat retries transient failures.
func (r *Target) Stat(ctx context.Context, key string) (e target.Entry, err error) {
	err = r.do(ctx, target.OpStat, key, func() error {
		e, err = r.Target.Stat(ctx, key)
		return err
	})
	return e, err
}

// Delete retries transient failures; deleting twice is harmless.
func (r *Target) Delete(ctx context.Context, key string) error {
	return r.do(ctx, target.OpDelete, key, func() error { return r.Target.Delete(ctx, key) })
}

// Check retries transient failures.
func (r *Target) Check(ctx context.Context) error {
	return r.do(ctx, target.OpCheck, "", func() error { return r.Target.Check(ctx) })
}

// List retries a listing that failed part way without reporting any entry
// twice: entries already passed to fn are skipped on the next attempt. An
// error from fn is returned at once, never retried.
func (r *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return r.listing(ctx, target.OpList, dir, fn, r.Target.List)
}

// Walk retries like List.
func (r *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return r.listing(ctx, target.OpWalk, dir, fn, r.Target.Walk)
}

type listFunc func(ctx context.Context, dir string, fn func(target.Entry) error) error

func (r *Target) listing(ctx context.Context, op, dir string, fn func(target.Entry) error, list listFunc) error {
	seen := make(map[string]bool)
	var fnErr error
	err := r.do(ctx, op, dir, func() error {
		err := list(ctx, dir, func(e target.Entry) error {
			if seen[e.Key] {
				return nil
			}
			seen[e.Key] = true
			fnErr = fn(e)
			return fnErr
		})
		if fnErr != nil {
			// Stop retrying whatever fn's error looks like.
			return target.NewError(op, dir, target.KindPermanent, fnErr)
		}
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// RemoveEmptyDir retries transient failures of the wrapped target's
// RemoveEmptyDir (see target.DirRemover); removing twice is harmless.
func (r *Target) RemoveEmptyDir(ctx context.Context, dir string) error {
	return r.do(ctx, target.OpRemoveDir, dir, func() error { return target.RemoveEmptyDirOf(ctx, r.Target, dir) })
}
