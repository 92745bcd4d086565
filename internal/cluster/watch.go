package cluster

import (
	"context"
	"errors"

	"github.com/plinth-storage/plinth/internal/store"
)

// ErrEtcdStopped ends a daemon whose embedded etcd member stopped on its
// own while it ran (typically: it was removed from the cluster).
var ErrEtcdStopped = errors.New("this node's embedded etcd member stopped (was it removed with plinth cluster remove-member? " +
	"then move <data-dir>/etcd aside and start again with --join)")

// StopWhenEtcdStops returns a context that ends when ctx does or when b's
// embedded etcd stops on its own, and a function to pass the daemon's
// result through: it returns ErrEtcdStopped when that is why the daemon
// ended, else the result as it is. Call it exactly once.
func StopWhenEtcdStops(ctx context.Context, b *store.Backend) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(ctx)
	if stopped := b.Stopped(); stopped != nil {
		go func() {
			select {
			case <-stopped:
				cancel(ErrEtcdStopped)
			case <-ctx.Done():
			}
		}()
	}
	return ctx, func(err error) error {
		defer cancel(nil)
		if errors.Is(context.Cause(ctx), ErrEtcdStopped) {
			return ErrEtcdStopped
		}
		return err
	}
}
