package store

import (
	"context"
	"github.com/plinth-storage/plinth/internal/backoff"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchOpener starts one watch stream from revision rev+1 (rev 0: now).
type watchOpener func(ctx context.Context, rev int64) clientv3.WatchChan

// watchBackoff bounds the wait before a broken watch is restarted.
type watchBackoff struct {
	min, max time.Duration
	// resetAfter: a watch that ran this long starts the backoff over.
	resetAfter time.Duration
}

var defaultWatchBackoff = watchBackoff{min: 100 * time.Millisecond, max: 10 * time.Second, resetAfter: 10 * time.Second}

// watcher keeps one logical watch alive across broken streams.
type watcher struct {
	open    watchOpener
	fn      func(Event)
	backoff watchBackoff

	// restarts counts streams opened after the first (for tests).
	restarts int
}

// streamEnd says how one stream ended.
type streamEnd int

const (
	streamBroken    streamEnd = iota // closed or failed: restart after backoff
	streamCompacted                  // our revision is gone: resync, restart now
)

func (w *watcher) run(ctx context.Context, rev int64) {
	delay := w.backoff.min
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			w.restarts++
		}
		started := time.Now()
		end, next := w.stream(ctx, rev)
		rev = next
		if ctx.Err() != nil {
			return
		}
		if end == streamCompacted {
			w.fn(Event{})
			continue
		}
		if time.Since(started) >= w.backoff.resetAfter {
			delay = w.backoff.min
		}
		if backoff.Sleep(ctx, backoff.Jitter(delay)) != nil {
			return
		}
		delay = min(2*delay, w.backoff.max)
	}
}

// stream runs one watch stream from rev+1, delivering its events, and
// returns how it ended and the last revision it fully delivered (for a
// compacted stream: the revision before the oldest one etcd still has).
func (w *watcher) stream(ctx context.Context, rev int64) (streamEnd, int64) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for resp := range w.open(sctx, rev) {
		if resp.CompactRevision > 0 {
			return streamCompacted, resp.CompactRevision - 1
		}
		if resp.Err() != nil {
			return streamBroken, rev
		}
		if (resp.Created && rev == 0) || resp.IsProgressNotify() {
			// Everything up to the header revision has been sent.
			rev = max(rev, resp.Header.Revision)
		}
		for _, ev := range resp.Events {
			rev = ev.Kv.ModRevision
			if e, ok := parseKey(string(ev.Kv.Key)); ok {
				e.Deleted = ev.Type == clientv3.EventTypeDelete
				w.fn(e)
			}
		}
	}
	return streamBroken, rev
}
