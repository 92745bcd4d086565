package node

import (
	"context"
	"errors"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// reconcileMembership sets node's state from its lease key: up (since it
// registered, with the address and version it registered) while the key
// exists, down (since now) once it is gone. Every live node runs it for
// every node, so a dead node is marked down by the others. The write is a
// compare-and-swap that is skipped when nothing changed or when the record
// was decided from a newer view of the lease key than this one, so any
// number of observers agree and a stale one cannot undo a newer one. A
// node record that does not exist is left alone (gone is true).
func (c *Controller) reconcileMembership(ctx context.Context, name string) (gone bool, err error) {
	if c.Members == nil {
		return false, nil
	}
	reg, alive, rev, err := c.Members.Lookup(ctx, name)
	if err != nil {
		return false, err
	}
	now := time.Now().UTC()
	_, err = c.Nodes.Mutate(ctx, name, func(n *model.Node) error {
		if !applyMembership(n, reg, alive, rev, now) {
			return store.ErrNoChange
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// applyMembership changes n to agree with a view of its lease key read at
// etcd revision rev, and reports whether it changed anything.
func applyMembership(n *model.Node, reg model.NodeRegistration, alive bool, rev int64, now time.Time) bool {
	st := &n.Status
	if rev < st.StateRevision {
		return false // decided from a newer view than ours
	}
	switch {
	case alive:
		addr := n.Address
		if reg.Address != "" {
			addr = reg.Address
		}
		if st.State == model.NodeUp && st.StateSince.Equal(reg.RegisteredAt) && n.Address == addr && st.Version == reg.Version {
			return false
		}
		st.State, st.StateSince, st.Version, n.Address = model.NodeUp, reg.RegisteredAt, reg.Version, addr
	case st.State == model.NodeDown:
		return false
	default:
		st.State, st.StateSince = model.NodeDown, now
	}
	st.StateRevision = rev
	return true
}
