package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/backoff"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// DefaultLeaseTTL is how long a node's lease outlives its last keep-alive:
// a node killed without a clean stop shows down within about this long.
const DefaultLeaseTTL = 12 * time.Second

// LeaseKey is the etcd key of node's lease key.
func LeaseKey(node string) string { return store.Prefix + model.KindNodeLeases + "/" + node }

// Members reads the lease keys of every node.
type Members struct{ Client *clientv3.Client }

// Lookup returns node's registration and whether its lease key exists, and
// the etcd revision the answer was read at. It fails only when etcd does
// not answer or the key's value is damaged.
func (m *Members) Lookup(ctx context.Context, node string) (reg model.NodeRegistration, alive bool, rev int64, err error) {
	resp, err := m.Client.Get(ctx, LeaseKey(node))
	if err != nil {
		return reg, false, 0, fmt.Errorf("read the lease key of node %s: %w", node, err)
	}
	if len(resp.Kvs) == 0 {
		return reg, false, resp.Header.Revision, nil
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &reg); err != nil {
		return reg, false, 0, fmt.Errorf("lease key of node %s is damaged: %w", node, err)
	}
	return reg, true, resp.Header.Revision, nil
}

// Heartbeat keeps this node's lease key alive: it grants an etcd lease of
// TTL, puts the lease key under it and keeps the lease alive. If the lease
// is lost (etcd unreachable for longer than TTL) it registers again.
type Heartbeat struct {
	Client *clientv3.Client
	NodeID string
	// Address and Version are recorded in the registration.
	Address, Version string
	// TTL is the lease's time to live; zero means DefaultLeaseTTL.
	TTL time.Duration
	Log *slog.Logger
	// OnRegistered, when set, is called after every registration.
	OnRegistered func()

	lease clientv3.LeaseID
}

// Register grants a lease and puts the lease key under it. It replaces the
// key of an earlier run of this node whose lease has not lapsed yet.
func (h *Heartbeat) Register(ctx context.Context) error {
	ttl := h.TTL
	if ttl == 0 {
		ttl = DefaultLeaseTTL
	}
	g, err := h.Client.Grant(ctx, int64((ttl+time.Second-1)/time.Second))
	if err != nil {
		return fmt.Errorf("grant the lease of node %s: %w (is etcd reachable?)", h.NodeID, err)
	}
	reg := model.NodeRegistration{Address: h.Address, Version: h.Version, RegisteredAt: time.Now().UTC()}
	data, err := json.Marshal(reg)
	if err != nil {
		return fmt.Errorf("encode the registration of node %s: %w", h.NodeID, err)
	}
	if _, err := h.Client.Put(ctx, LeaseKey(h.NodeID), string(data), clientv3.WithLease(g.ID)); err != nil {
		_, _ = h.Client.Revoke(context.WithoutCancel(ctx), g.ID)
		return fmt.Errorf("register node %s: %w", h.NodeID, err)
	}
	h.lease = g.ID
	if h.OnRegistered != nil {
		h.OnRegistered()
	}
	return nil
}

// Run keeps the lease registered by Register alive (registering first if
// Register was not called) until ctx is done, then revokes it so the other
// nodes see this one down at once. It returns when the lease is revoked.
func (h *Heartbeat) Run(ctx context.Context) {
	attempt := 0
	wait := func() {
		attempt++
		_ = backoff.Sleep(ctx, backoff.Jitter(backoff.Exp(500*time.Millisecond, 5*time.Second, attempt)))
	}
	for ctx.Err() == nil {
		if h.lease == 0 {
			if err := h.Register(ctx); err != nil {
				h.log().Warn("node registration failed; retrying", "node", h.NodeID, "err", err)
				wait()
				continue
			}
		}
		attempt = 0
		ch, err := h.Client.KeepAlive(ctx, h.lease)
		if err == nil {
			for range ch { // drained until ctx ends or the lease is lost
			}
		}
		if ctx.Err() != nil {
			break
		}
		h.log().Warn("node lease lost (etcd unreachable for longer than the lease TTL?); registering again", "node", h.NodeID, "err", err)
		h.lease = 0
		wait()
	}
	if h.lease != 0 {
		rctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := h.Client.Revoke(rctx, h.lease); err != nil {
			h.log().Warn("revoke node lease at stop; the other nodes see this one down when it lapses", "node", h.NodeID, "err", err)
		}
		h.lease = 0
	}
}

func (h *Heartbeat) log() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}
