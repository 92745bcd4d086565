package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Codec transforms a kind's stored values, e.g. to encrypt them: Seal runs
// on the JSON before it is written, Open on what was read before it is
// decoded. Both get the object's etcd key, so a codec can bind a value to
// its key. Stale reports whether a stored value should be sealed again
// (an older format, an older key); Reseal rewrites those.
type Codec interface {
	Seal(key string, plain []byte) ([]byte, error)
	Open(key string, stored []byte) ([]byte, error)
	Stale(stored []byte) bool
}

// WithCodec stores the kind's values through c.
func WithCodec(c Codec) KindOption {
	return func(cfg *kindConfig) { cfg.codec = c }
}

// Reseal rewrites every object whose stored value the kind's codec reports
// Stale, opening it and sealing it again. Each rewrite is a
// compare-and-swap on the value read, retried on conflict; an object
// deleted meanwhile is skipped. It returns how many objects it rewrote; an
// object that does not open stops it with an error naming the object.
// Without a codec it does nothing.
func (k *Kind[T]) Reseal(ctx context.Context) (int, error) {
	if k.codec == nil {
		return 0, nil
	}
	resp, err := k.cli.Get(ctx, k.Prefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, fmt.Errorf("list %s to reseal: %w", k.kind, err)
	}
	n := 0
	for _, kv := range resp.Kvs {
		done, err := k.resealOne(ctx, string(kv.Key))
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// resealOne rewrites one key if it is stale; it reports whether it did.
func (k *Kind[T]) resealOne(ctx context.Context, key string) (bool, error) {
	for {
		resp, err := k.cli.Get(ctx, key)
		if err != nil {
			return false, fmt.Errorf("reseal %s: %w", key, err)
		}
		if len(resp.Kvs) == 0 || !k.codec.Stale(resp.Kvs[0].Value) {
			return false, nil
		}
		kv := resp.Kvs[0]
		plain, err := k.codec.Open(key, kv.Value)
		if err != nil {
			return false, fmt.Errorf("reseal %s: %w", key, err)
		}
		sealed, err := k.codec.Seal(key, plain)
		if err != nil {
			return false, fmt.Errorf("reseal %s: %w", key, err)
		}
		tx, err := k.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
			Then(clientv3.OpPut(key, string(sealed))).Commit()
		if err != nil {
			return false, fmt.Errorf("reseal %s: %w", key, err)
		}
		if tx.Succeeded {
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
}
