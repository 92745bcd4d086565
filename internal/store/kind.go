// Package store keeps plinth's typed resources in etcd as JSON under
// /plinth/<kind>/<name>. Every write is a compare-and-swap on the key's mod
// revision; uniqueness rules are enforced inside one etcd transaction. A
// kind built WithCodec stores its JSON through the codec (secrets are
// encrypted that way; see package secretbox).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors returned by Kind methods; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrConflict = errors.New("modified concurrently; reload and retry")
)

// Prefix is the root of every key plinth writes.
const Prefix = "/plinth/"

// Versioned is a decoded value with the mod revision it was read at; pass
// Rev back to Update or Delete for a compare-and-swap.
type Versioned[T any] struct {
	Name  string
	Value T
	Rev   int64
}

// Kind is a typed view of one resource kind.
type Kind[T any] struct {
	cli   *clientv3.Client
	kind  string
	codec Codec // nil: values are stored as plain JSON
}

// KindOption changes how a Kind stores its values.
type KindOption func(*kindConfig)

type kindConfig struct{ codec Codec }

// NewKind returns the typed view of kind (e.g. "backingimages").
func NewKind[T any](cli *clientv3.Client, kind string, opts ...KindOption) *Kind[T] {
	var c kindConfig
	for _, o := range opts {
		o(&c)
	}
	return &Kind[T]{cli: cli, kind: kind, codec: c.codec}
}

// Key returns the etcd key of name.
func (k *Kind[T]) Key(name string) string { return Prefix + k.kind + "/" + name }

// Prefix returns the etcd key prefix of every object of this kind.
func (k *Kind[T]) Prefix() string { return Prefix + k.kind + "/" }

// Name is the kind's name as given to NewKind.
func (k *Kind[T]) Name() string { return k.kind }

// Get returns the object and its revision, or ErrNotFound.
func (k *Kind[T]) Get(ctx context.Context, name string) (Versioned[T], error) {
	resp, err := k.cli.Get(ctx, k.Key(name))
	if err != nil {
		return Versioned[T]{}, fmt.Errorf("get %s/%s: %w", k.kind, name, err)
	}
	if len(resp.Kvs) == 0 {
		return Versioned[T]{}, fmt.Errorf("%s %q: %w", k.kind, name, ErrNotFound)
	}
	return k.decode(name, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// List returns every object of the kind, sorted by name, and the store
// revision the list was read at (to start a watch from).
func (k *Kind[T]) List(ctx context.Context) ([]Versioned[T], int64, error) {
	resp, err := k.cli.Get(ctx, k.Prefix(), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", k.kind, err)
	}
	out := make([]Versioned[T], 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		name := string(kv.Key[len(k.Prefix()):])
		v, err := k.decode(name, kv.Value, kv.ModRevision)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, resp.Header.Revision, nil
}

// Create stores v under name if no object of that name exists (ErrExists
// otherwise). Extra comparisons and puts (e.g. a uniqueness index) join the
// same transaction through guards.
func (k *Kind[T]) Create(ctx context.Context, name string, v T, guards ...Guard) (int64, error) {
	data, err := k.encode(name, v)
	if err != nil {
		return 0, err
	}
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k.Key(name)), "=", 0)}
	ops := []clientv3.Op{clientv3.OpPut(k.Key(name), string(data))}
	for _, g := range guards {
		cmps = append(cmps, g.Cmps...)
		ops = append(ops, g.Ops...)
	}
	resp, err := k.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, fmt.Errorf("create %s/%s: %w", k.kind, name, err)
	}
	if !resp.Succeeded {
		return 0, k.whichGuardFailed(ctx, name, guards)
	}
	return resp.Header.Revision, nil
}

// Update replaces the object if its revision is still rev (ErrConflict
// otherwise, ErrNotFound if it was deleted).
func (k *Kind[T]) Update(ctx context.Context, name string, v T, rev int64) (int64, error) {
	data, err := k.encode(name, v)
	if err != nil {
		return 0, err
	}
	resp, err := k.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k.Key(name)), "=", rev)).
		Then(clientv3.OpPut(k.Key(name), string(data))).Commit()
	if err != nil {
		return 0, fmt.Errorf("update %s/%s: %w", k.kind, name, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("update %s %q: %w", k.kind, name, ErrConflict)
	}
	return resp.Header.Revision, nil
}

// Delete removes the object if its revision is still rev (rev 0: whatever
// it is). Extra operations (e.g. dropping an index key) join the same
// transaction. Deleting a missing object is ErrNotFound.
func (k *Kind[T]) Delete(ctx context.Context, name string, rev int64, extra ...clientv3.Op) error {
	cmp := clientv3.Compare(clientv3.CreateRevision(k.Key(name)), ">", 0)
	if rev != 0 {
		cmp = clientv3.Compare(clientv3.ModRevision(k.Key(name)), "=", rev)
	}
	ops := append([]clientv3.Op{clientv3.OpDelete(k.Key(name))}, extra...)
	resp, err := k.cli.Txn(ctx).If(cmp).Then(ops...).Commit()
	if err != nil {
		return fmt.Errorf("delete %s/%s: %w", k.kind, name, err)
	}
	if !resp.Succeeded {
		if _, gerr := k.Get(ctx, name); errors.Is(gerr, ErrNotFound) {
			return gerr
		}
		return fmt.Errorf("delete %s %q: %w", k.kind, name, ErrConflict)
	}
	return nil
}

// Mutate reads the object, applies fn and writes it back, retrying on
// conflicts. fn may be called several times and must not have side effects
// beyond *T. If fn returns ErrNoChange nothing is written.
func (k *Kind[T]) Mutate(ctx context.Context, name string, fn func(*T) error) (T, error) {
	for {
		cur, err := k.Get(ctx, name)
		if err != nil {
			var zero T
			return zero, err
		}
		if err := fn(&cur.Value); err != nil {
			if errors.Is(err, ErrNoChange) {
				return cur.Value, nil
			}
			return cur.Value, err
		}
		if _, err := k.Update(ctx, name, cur.Value, cur.Rev); err == nil {
			return cur.Value, nil
		} else if !errors.Is(err, ErrConflict) {
			return cur.Value, err
		}
		if err := ctx.Err(); err != nil {
			return cur.Value, err
		}
	}
}

// ErrNoChange, returned by a Mutate function, skips the write.
var ErrNoChange = errors.New("no change")

// encode marshals v and, with a codec, seals it for its key.
func (k *Kind[T]) encode(name string, v T) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s/%s: %w", k.kind, name, err)
	}
	if k.codec == nil {
		return data, nil
	}
	sealed, err := k.codec.Seal(k.Key(name), data)
	if err != nil {
		return nil, fmt.Errorf("encode %s/%s: %w", k.kind, name, err)
	}
	return sealed, nil
}

// decode opens data with the codec, if any, and unmarshals it.
func (k *Kind[T]) decode(name string, data []byte, rev int64) (Versioned[T], error) {
	if k.codec != nil {
		plain, err := k.codec.Open(k.Key(name), data)
		if err != nil {
			return Versioned[T]{}, fmt.Errorf("decode %s/%s: %w", k.kind, name, err)
		}
		data = plain
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return Versioned[T]{}, fmt.Errorf("decode %s/%s (stored data is damaged): %w", k.kind, name, err)
	}
	return Versioned[T]{Name: name, Value: v, Rev: rev}, nil
}

func (k *Kind[T]) whichGuardFailed(ctx context.Context, name string, guards []Guard) error {
	if _, err := k.Get(ctx, name); err == nil {
		return fmt.Errorf("%s %q: %w", k.kind, name, ErrExists)
	}
	for _, g := range guards {
		if g.Failed != nil {
			if err := g.Failed(ctx); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("create %s %q: %w", k.kind, name, ErrConflict)
}
