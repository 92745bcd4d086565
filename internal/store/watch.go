package store

import (
	"context"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Event is one change seen by Watch: the name of the object of the kind and
// whether it was deleted. The empty Event means "changes may have been
// missed: resync by listing".
type Event struct {
	Kind    string
	Name    string
	Deleted bool
}

// Watch calls fn, in revision order, for every change under the plinth
// prefix from revision rev+1 on (rev 0: from now), until ctx is done.
//
// A broken watch is restarted from the revision after the last one it
// delivered, after a jittered exponential backoff (100 ms doubling to 10 s;
// it starts over once a watch has run for 10 s), so no change is lost or
// delivered twice and a persistently failing etcd is not hammered. Only if
// that revision has been compacted away does Watch call fn with the empty
// Event (the caller resyncs by listing) and continue from the oldest
// revision etcd still has.
func Watch(ctx context.Context, cli *clientv3.Client, rev int64, fn func(Event)) {
	w := &watcher{open: etcdOpener(cli), fn: fn, backoff: defaultWatchBackoff}
	w.run(ctx, rev)
}

// etcdOpener watches the plinth prefix from rev+1 (rev 0: from now). The
// created notification tells a watch from "now" which revision that was,
// and progress notifications advance the revision on a quiet store, so a
// restart after a long quiet spell does not hit a compacted revision.
func etcdOpener(cli *clientv3.Client) watchOpener {
	return func(ctx context.Context, rev int64) clientv3.WatchChan {
		opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithCreatedNotify(), clientv3.WithProgressNotify()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev+1))
		}
		return cli.Watch(clientv3.WithRequireLeader(ctx), Prefix, opts...)
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
