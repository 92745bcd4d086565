package store

import (
	"context"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Event is one change seen by Watch: the name of the object of the kind and
// whether it was deleted.
type Event struct {
	Kind    string
	Name    string
	Deleted bool
}

// Watch calls fn for every change under the plinth prefix from revision
// rev+1 on (rev 0: from now), until ctx is done. If the watch is compacted
// or broken it restarts from the latest revision and calls fn with an empty
// Event so the caller can resync by listing.
func Watch(ctx context.Context, cli *clientv3.Client, rev int64, fn func(Event)) {
	for ctx.Err() == nil {
		opts := []clientv3.OpOption{clientv3.WithPrefix()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev+1))
		}
		wch := cli.Watch(clientv3.WithRequireLeader(ctx), Prefix, opts...)
		for resp := range wch {
			if resp.Err() != nil {
				break
			}
			for _, ev := range resp.Events {
				rev = ev.Kv.ModRevision
				if e, ok := parseKey(string(ev.Kv.Key)); ok {
					e.Deleted = ev.Type == clientv3.EventTypeDelete
					fn(e)
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		rev = 0
		fn(Event{})
	}
}

func parseKey(key string) (Event, bool) {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return Event{}, false
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return Event{}, false
	}
	return Event{Kind: kind, Name: name}, true
}
