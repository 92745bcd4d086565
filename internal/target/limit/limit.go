// Package limit is the target decorator that caps how many calls run in
// the wrapped target at once, so parallel pipelines cannot open more
// connections than the driver (or server) handles well.
package limit

import (
	"context"

	"github.com/plinth-storage/plinth/internal/target"
)

var (
	_ target.Target     = (*Target)(nil)
	_ target.DirRemover = (*Target)(nil)
)

// Target admits at most n concurrent calls into the wrapped target.
type Target struct {
	target.Target
	sem chan struct{}
}

// Wrap caps t at n concurrent calls; n <= 0 means t.Properties().Connections
// (or 1 if the driver reports none).
func Wrap(t target.Target, n int) *Target {
	if n <= 0 {
		n = max(t.Properties().Connections, 1)
	}
	return &Target{Target: t, sem: make(chan struct{}, n)}
}

// Unwrap returns the wrapped target.
func (l *Target) Unwrap() target.Target { return l.Target }

// Limit is the cap.
func (l *Target) Limit() int { return cap(l.sem) }

// acquire takes a slot, or fails when ctx ends first.
func (l *Target) acquire(ctx context.Context, op, key string) error {
	select {
	case l.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return target.NewError(op, key, target.KindPermanent, ctx.Err())
	}
}

func (l *Target) release() { <-l.sem }

// Put runs within the cap.
func (l *Target) Put(ctx context.Context, key string, data []byte) error {
	if err := l.acquire(ctx, target.OpPut, key); err != nil {
		return err
	}
	defer l.release()
	return l.Target.Put(ctx, key, data)
}

// Get runs within the cap.
func (l *Target) Get(ctx context.Context, key string) ([]byte, error) {
	if err := l.acquire(ctx, target.OpGet, key); err != nil {
		return nil, err
	}
	defer l.release()
	return l.Target.Get(ctx, key)
}

// Stat runs within the cap.
func (l *Target) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := l.acquire(ctx, target.OpStat, key); err != nil {
		return target.Entry{}, err
	}
	defer l.release()
	return l.Target.Stat(ctx, key)
}

// Delete runs within the cap.
func (l *Target) Delete(ctx context.Context, key string) error {
	if err := l.acquire(ctx, target.OpDelete, key); err != nil {
		return err
	}
	defer l.release()
	return l.Target.Delete(ctx, key)
}

// Check runs within the cap.
func (l *Target) Check(ctx context.Context) error {
	if err := l.acquire(ctx, target.OpCheck, ""); err != nil {
		return err
	}
	defer l.release()
	return l.Target.Check(ctx)
}

// List holds a slot while the driver works but not while fn runs, so fn
// may call back into this target even when the cap is 1.
func (l *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return l.listing(ctx, target.OpList, dir, fn, l.Target.List)
}

// Walk holds a slot like List.
func (l *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return l.listing(ctx, target.OpWalk, dir, fn, l.Target.Walk)
}

func (l *Target) listing(ctx context.Context, op, dir string, fn func(target.Entry) error,
	list func(context.Context, string, func(target.Entry) error) error) error {
	if err := l.acquire(ctx, op, dir); err != nil {
		return err
	}
	held := true
	defer func() {
		if held {
			l.release()
		}
	}()
	return list(ctx, dir, func(e target.Entry) error {
		l.release()
		held = false
		if err := fn(e); err != nil {
			return err
		}
		if err := l.acquire(ctx, op, dir); err != nil {
			return err
		}
		held = true
		return nil
	})
}

// RemoveEmptyDir runs the wrapped target's RemoveEmptyDir (see
// target.DirRemover) within the cap.
func (l *Target) RemoveEmptyDir(ctx context.Context, dir string) error {
	if err := l.acquire(ctx, target.OpRemoveDir, dir); err != nil {
		return err
	}
	defer l.release()
	return target.RemoveEmptyDirOf(ctx, l.Target, dir)
}
