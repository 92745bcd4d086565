// Package mem is an in-memory target driver for unit tests of the layers
// above the target contract. It is fully contract-conformant: directories are
// key prefixes (like an object store), ModTime comes from a settable clock,
// and every method honours ctx.
package mem

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.Target = (*Target)(nil)

// Option configures a Target.
type Option func(*Target)

// WithClock makes the Target take ModTime values from now instead of
// time.Now, so lock-expiry tests can control time.
func WithClock(now func() time.Time) Option {
	return func(t *Target) { t.now = now }
}

// Target is an in-memory target. The zero value is not usable; call New.
type Target struct {
	now func() time.Time

	mu      sync.RWMutex
	objects map[string]object
	closed  bool
}

type object struct {
	data    []byte
	modTime time.Time
}

// New returns an empty in-memory target.
func New(opts ...Option) *Target {
	t := &Target{now: time.Now, objects: make(map[string]object)}
	for _, o := range opts {
		o(t)
	}
	return t
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("mem target is closed")

// begin runs the checks every method shares: ctx, closed, key shape.
func (t *Target) begin(ctx context.Context, op, key string, isDir bool) error {
	if err := ctx.Err(); err != nil {
		return target.NewError(op, key, target.KindPermanent, err)
	}
	if isDir {
		if err := target.ValidateDir(op, key); err != nil {
			return err
		}
	} else if err := target.ValidateKey(op, key); err != nil {
		return err
	}
	t.mu.RLock()
	closed := t.closed
	t.mu.RUnlock()
	if closed {
		return target.NewError(op, key, target.KindPermanent, errClosed)
	}
	return nil
}

// Put stores a copy of data under key.
func (t *Target) Put(ctx context.Context, key string, data []byte) error {
	if err := t.begin(ctx, target.OpPut, key, false); err != nil {
		return err
	}
	obj := object{data: slices.Clone(data), modTime: t.now()}
	if obj.data == nil {
		obj.data = []byte{}
	}
	t.mu.Lock()
	t.objects[key] = obj
	t.mu.Unlock()
	return nil
}

// Get returns a copy of the object under key.
func (t *Target) Get(ctx context.Context, key string) ([]byte, error) {
	if err := t.begin(ctx, target.OpGet, key, false); err != nil {
		return nil, err
	}
	t.mu.RLock()
	obj, ok := t.objects[key]
	t.mu.RUnlock()
	if !ok {
		return nil, target.NewError(target.OpGet, key, target.KindNotFound, target.ErrNotFound)
	}
	return slices.Clone(obj.data), nil
}

// Stat returns the object's size and the clock's time at its last Put.
func (t *Target) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := t.begin(ctx, target.OpStat, key, false); err != nil {
		return target.Entry{}, err
	}
	t.mu.RLock()
	obj, ok := t.objects[key]
	t.mu.RUnlock()
	if !ok {
		return target.Entry{}, target.NewError(target.OpStat, key, target.KindNotFound, target.ErrNotFound)
	}
	return target.Entry{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime}, nil
}

// List reports the immediate children of dir from a snapshot taken at the
// start of the call; fn runs without any lock held, so it may call back into
// the Target.
func (t *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := t.begin(ctx, target.OpList, dir, true); err != nil {
		return err
	}
	return t.emit(ctx, target.OpList, dir, t.snapshot(dir, false), fn)
}

// Walk reports every object below dir from a snapshot taken at the start of
// the call.
func (t *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := t.begin(ctx, target.OpWalk, dir, true); err != nil {
		return err
	}
	return t.emit(ctx, target.OpWalk, dir, t.snapshot(dir, true), fn)
}

func (t *Target) emit(ctx context.Context, op, dir string, entries []target.Entry, fn func(target.Entry) error) error {
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return target.NewError(op, dir, target.KindPermanent, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// snapshot collects the entries below dir, sorted by key: every object when
// recursive, else the immediate children with sub-prefixes as directories.
func (t *Target) snapshot(dir string, recursive bool) []target.Entry {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []target.Entry
	seenDirs := make(map[string]bool)
	for key, obj := range t.objects {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		if name, _, isDir := strings.Cut(rest, "/"); isDir && !recursive {
			if !seenDirs[name] {
				seenDirs[name] = true
				out = append(out, target.Entry{Key: prefix + name, IsDir: true})
			}
			continue
		}
		out = append(out, target.Entry{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime})
	}
	slices.SortFunc(out, func(a, b target.Entry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Delete removes key only; a missing key is not an error.
func (t *Target) Delete(ctx context.Context, key string) error {
	if err := t.begin(ctx, target.OpDelete, key, false); err != nil {
		return err
	}
	t.mu.Lock()
	delete(t.objects, key)
	t.mu.Unlock()
	return nil
}

// Check fails only when ctx is done or the Target is closed.
func (t *Target) Check(ctx context.Context) error {
	return t.begin(ctx, target.OpCheck, "", true)
}

// Properties describes an object-store-like target with ample parallelism.
func (t *Target) Properties() target.Properties {
	return target.Properties{Scheme: "mem", Connections: 16, HasDirs: false}
}

// Close makes every later call fail.
func (t *Target) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	return nil
}

// Keys returns every stored key, sorted; a test helper for asserting on the
// store's contents.
func (t *Target) Keys() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	keys := make([]string, 0, len(t.objects))
	for k := range t.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
