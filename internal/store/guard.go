package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Guard adds comparisons and operations to a Create transaction, e.g. to
// claim a uniqueness index key atomically with the object. Failed, when the
// transaction did not succeed, explains which rule was broken (it returns
// nil when its own rule held).
type Guard struct {
	Cmps   []clientv3.Cmp
	Ops    []clientv3.Op
	Failed func(ctx context.Context) error
}

// Unique returns a guard that claims indexKey for owner: the create fails if
// indexKey already exists, and Failed reports the current owner through
// explain.
func Unique(cli *clientv3.Client, indexKey, owner string, explain func(existing string) error) Guard {
	return Guard{
		Cmps: []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(indexKey), "=", 0)},
		Ops:  []clientv3.Op{clientv3.OpPut(indexKey, owner)},
		Failed: func(ctx context.Context) error {
			resp, err := cli.Get(ctx, indexKey)
			if err != nil {
				return fmt.Errorf("read index %s: %w", indexKey, err)
			}
			if len(resp.Kvs) == 0 {
				return nil
			}
			return explain(string(resp.Kvs[0].Value))
		},
	}
}
