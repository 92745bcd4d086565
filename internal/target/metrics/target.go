package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target"
)

var (
	_ target.Target     = (*Target)(nil)
	_ target.DirRemover = (*Target)(nil)
)

// Target records metrics for the target it wraps.
type Target struct {
	target.Target
	driver string
	c      *collectors
}

// Wrap returns t instrumented on reg (never the global registry unless the
// caller passes it). Wrapping several targets on one registry shares the
// metric vectors; the driver label tells them apart. It fails only if reg
// holds different metrics under the same names.
func Wrap(t target.Target, reg prometheus.Registerer) (*Target, error) {
	c, err := register(reg)
	if err != nil {
		return nil, err
	}
	return &Target{Target: t, driver: t.Properties().Scheme, c: c}, nil
}

// Unwrap returns the wrapped target.
func (m *Target) Unwrap() target.Target { return m.Target }

// observe records one call that took d.
func (m *Target) observe(op string, d time.Duration, err error, aborted bool) {
	m.c.requests.WithLabelValues(m.driver, op, outcome(err, aborted)).Inc()
	m.c.seconds.WithLabelValues(m.driver, op).Observe(d.Seconds())
}

func (m *Target) timed(op string, call func() error) error {
	start := time.Now()
	err := call()
	m.observe(op, time.Since(start), err, false)
	return err
}

// Put is counted and timed.
func (m *Target) Put(ctx context.Context, key string, data []byte) error {
	return m.timed(target.OpPut, func() error { return m.Target.Put(ctx, key, data) })
}

// Get is counted and timed.
func (m *Target) Get(ctx context.Context, key string) (data []byte, err error) {
	err = m.timed(target.OpGet, func() error { data, err = m.Target.Get(ctx, key); return err })
	return data, err
}

// Stat is counted and timed.
func (m *Target) Stat(ctx context.Context, key string) (e target.Entry, err error) {
	err = m.timed(target.OpStat, func() error { e, err = m.Target.Stat(ctx, key); return err })
	return e, err
}

// Delete is counted and timed.
func (m *Target) Delete(ctx context.Context, key string) error {
	return m.timed(target.OpDelete, func() error { return m.Target.Delete(ctx, key) })
}

// Check is counted and timed.
func (m *Target) Check(ctx context.Context) error {
	return m.timed(target.OpCheck, func() error { return m.Target.Check(ctx) })
}

// List is counted and timed, excluding time spent in fn.
func (m *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return m.listing(target.OpList, fn, func(fn func(target.Entry) error) error { return m.Target.List(ctx, dir, fn) })
}

// Walk is counted and timed like List.
func (m *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return m.listing(target.OpWalk, fn, func(fn func(target.Entry) error) error { return m.Target.Walk(ctx, dir, fn) })
}

func (m *Target) listing(op string, fn func(target.Entry) error, list func(func(target.Entry) error) error) error {
	var inFn time.Duration
	var fnErr error
	start := time.Now()
	err := list(func(e target.Entry) error {
		t0 := time.Now()
		fnErr = fn(e)
		inFn += time.Since(t0)
		return fnErr
	})
	m.observe(op, time.Since(start)-inFn, err, fnErr != nil && err == fnErr)
	return err
}

// RemoveEmptyDir is counted and timed when the wrapped target has it (see
// target.DirRemover); otherwise it fails at once, uncounted.
func (m *Target) RemoveEmptyDir(ctx context.Context, dir string) error {
	if _, ok := m.Target.(target.DirRemover); !ok {
		return target.RemoveEmptyDirOf(ctx, m.Target, dir)
	}
	return m.timed(target.OpRemoveDir, func() error { return target.RemoveEmptyDirOf(ctx, m.Target, dir) })
}
