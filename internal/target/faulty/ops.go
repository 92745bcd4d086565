package faulty

import (
	"context"
	"slices"

	"github.com/plinth-storage/plinth/internal/target"
)

// simple applies rule r (if any) around a call that returns only an error.
func (f *Target) simple(op, key string, call func() error) error {
	r := f.pick(op, key)
	if r == nil {
		return call()
	}
	if r.After {
		if err := call(); err != nil {
			return err
		}
	}
	return r.error(op, key)
}

// Put stores data unless a rule fails it (before or, with After, after).
func (f *Target) Put(ctx context.Context, key string, data []byte) error {
	return f.simple(target.OpPut, key, func() error { return f.inner.Put(ctx, key, data) })
}

// Delete removes key unless a rule fails it.
func (f *Target) Delete(ctx context.Context, key string) error {
	return f.simple(target.OpDelete, key, func() error { return f.inner.Delete(ctx, key) })
}

// Check checks the wrapped target unless a rule fails it (key "").
func (f *Target) Check(ctx context.Context) error {
	return f.simple(target.OpCheck, "", func() error { return f.inner.Check(ctx) })
}

// Get returns the object, an injected error, or corrupted bytes.
func (f *Target) Get(ctx context.Context, key string) ([]byte, error) {
	r := f.pick(target.OpGet, key)
	if r == nil || r.After || r.Corrupt != nil {
		data, err := f.inner.Get(ctx, key)
		switch {
		case err != nil || r == nil:
			return data, err
		case r.Corrupt != nil:
			return r.Corrupt(slices.Clone(data)), nil
		}
	}
	return nil, r.error(target.OpGet, key)
}

// Stat returns the entry or an injected error.
func (f *Target) Stat(ctx context.Context, key string) (target.Entry, error) {
	r := f.pick(target.OpStat, key)
	if r == nil || r.After {
		e, err := f.inner.Stat(ctx, key)
		if err != nil || r == nil {
			return e, err
		}
	}
	return target.Entry{}, r.error(target.OpStat, key)
}

// List lists the wrapped target, failing before the first entry or after
// Rule.Entries entries.
func (f *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return f.listing(target.OpList, dir, fn, func(fn func(target.Entry) error) error {
		return f.inner.List(ctx, dir, fn)
	})
}

// Walk is List's recursive form with the same fault rules.
func (f *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return f.listing(target.OpWalk, dir, fn, func(fn func(target.Entry) error) error {
		return f.inner.Walk(ctx, dir, fn)
	})
}

func (f *Target) listing(op, dir string, fn func(target.Entry) error, call func(func(target.Entry) error) error) error {
	r := f.pick(op, dir)
	if r == nil {
		return call(fn)
	}
	if r.Entries == 0 && !r.After {
		return r.error(op, dir)
	}
	injected := r.error(op, dir)
	passed := 0
	err := call(func(e target.Entry) error {
		if !r.After && passed == r.Entries {
			return injected
		}
		passed++
		return fn(e)
	})
	if err != nil {
		return err
	}
	return injected
}

// Properties returns the wrapped target's properties.
func (f *Target) Properties() target.Properties { return f.inner.Properties() }

// Close closes the wrapped target.
func (f *Target) Close() error { return f.inner.Close() }
