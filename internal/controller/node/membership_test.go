package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// observer is a node controller of another node ("watcher") that looks at
// node's record the way every live daemon does.
func observer(t *testing.T, b *store.Backend) *Controller {
	return &Controller{Nodes: store.NewKind[model.Node](b.Client, model.KindNodes), Members: &Members{Client: b.Client},
		NodeID: "watcher", Registry: NewRegistry()}
}

// waitState reconciles node through c until its record shows state, and
// returns the record.
func waitState(t *testing.T, c *Controller, node, state string) model.Node {
	t.Helper()
	var got model.Node
	testenv.Eventually(t, 20*time.Second, "node "+node+" to be "+state, func() (bool, string) {
		if _, err := c.Reconcile(context.Background(), node); err != nil {
			return false, err.Error()
		}
		n, err := c.Nodes.Get(context.Background(), node)
		if err != nil {
			return false, err.Error()
		}
		got = n.Value
		return n.Value.Status.State == state, fmt.Sprintf("%+v", n.Value.Status)
	})
	return got
}

// TestNodeIsUpWhileItHoldsItsLeaseAndDownOnceRevoked: a live heartbeat
// makes the node up (since it registered, with its address and version);
// a clean stop revokes the lease and another node's controller marks it
// down since then; registering again brings it back up.
func TestNodeIsUpWhileItHoldsItsLeaseAndDownOnceRevoked(t *testing.T) {
	b := store.NewTestBackend(t)
	c := observer(t, b)
	ctx := context.Background()
	if _, err := c.Nodes.Create(ctx, "a", model.Node{Name: "a", Address: "http://old:1"}); err != nil {
		t.Fatal(err)
	}
	// Never registered: down.
	waitState(t, c, "a", model.NodeDown)

	hctx, stop := context.WithCancel(ctx)
	hb := &Heartbeat{Client: b.Client, NodeID: "a", Address: "http://10.0.0.1:9500", Version: "v9", TTL: 3 * time.Second}
	if err := hb.Register(hctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); hb.Run(hctx) }()
	reg, alive, _, err := c.Members.Lookup(ctx, "a")
	if err != nil || !alive {
		t.Fatalf("lookup after register: %v %v", alive, err)
	}
	n := waitState(t, c, "a", model.NodeUp)
	if !n.Status.StateSince.Equal(reg.RegisteredAt) || n.Address != "http://10.0.0.1:9500" || n.Status.Version != "v9" {
		t.Fatalf("up node: address %q, status %+v, registration %+v", n.Address, n.Status, reg)
	}
	// Outlive the TTL: the keep-alive must hold the lease.
	time.Sleep(4 * time.Second)
	if _, err := c.Reconcile(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Nodes.Get(ctx, "a"); got.Value.Status.State != model.NodeUp {
		t.Fatalf("node down while its heartbeat runs: %+v", got.Value.Status)
	}

	stop()
	<-done
	before := time.Now().UTC()
	n = waitState(t, c, "a", model.NodeDown)
	if n.Status.StateSince.Before(before.Add(-time.Second)) || n.Status.StateSince.After(time.Now()) {
		t.Fatalf("down since %v, stopped at %v", n.Status.StateSince, before)
	}

	hb2 := &Heartbeat{Client: b.Client, NodeID: "a", Address: "http://10.0.0.1:9500", Version: "v10"}
	if err := hb2.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if n = waitState(t, c, "a", model.NodeUp); n.Status.Version != "v10" || !n.Status.StateSince.After(before) {
		t.Fatalf("back up: %+v", n.Status)
	}
}

// TestLapsedLeaseMarksTheNodeDown: a node that dies without revoking (no
// keep-alive after registering, as after kill -9) is down once its lease
// lapses.
func TestLapsedLeaseMarksTheNodeDown(t *testing.T) {
	b := store.NewTestBackend(t)
	c := observer(t, b)
	ctx := context.Background()
	if _, err := c.Nodes.Create(ctx, "dead", model.Node{Name: "dead"}); err != nil {
		t.Fatal(err)
	}
	hb := &Heartbeat{Client: b.Client, NodeID: "dead", TTL: 2 * time.Second}
	if err := hb.Register(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, "dead", model.NodeUp)
	waitState(t, c, "dead", model.NodeDown)
}

// TestObserversAgreeAndWriteOnce: many node controllers marking the same
// node down at once leave one record with one "since", written once; more
// reconciles change nothing.
func TestObserversAgreeAndWriteOnce(t *testing.T) {
	b := store.NewTestBackend(t)
	ctx := context.Background()
	nodes := store.NewKind[model.Node](b.Client, model.KindNodes)
	if _, err := nodes.Create(ctx, "x", model.Node{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	hb := &Heartbeat{Client: b.Client, NodeID: "x"}
	if err := hb.Register(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, observer(t, b), "x", model.NodeUp)
	if _, err := b.Client.Revoke(ctx, hb.lease); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := observer(t, b).Reconcile(ctx, "x"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	first, err := nodes.Get(ctx, "x")
	if err != nil || first.Value.Status.State != model.NodeDown {
		t.Fatalf("after the observers: %v %+v", err, first.Value.Status)
	}
	for range 3 {
		if _, err := observer(t, b).Reconcile(ctx, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := nodes.Get(ctx, "x"); again.Rev != first.Rev {
		t.Fatalf("a reconcile with nothing new rewrote the record: rev %d -> %d", first.Rev, again.Rev)
	}
}

// TestStaleViewCannotUndoANewerOne: an observer whose lease view was read
// before the record was decided leaves the record alone.
func TestStaleViewCannotUndoANewerOne(t *testing.T) {
	now := time.Now().UTC()
	up := model.Node{Name: "n", Status: model.NodeStatus{State: model.NodeUp, StateSince: now, StateRevision: 10}}
	if applyMembership(&up, model.NodeRegistration{}, false, 9, now) || up.Status.State != model.NodeUp {
		t.Fatalf("a view from revision 9 marked a node decided at 10 down: %+v", up.Status)
	}
	if !applyMembership(&up, model.NodeRegistration{}, false, 11, now) || up.Status.State != model.NodeDown || up.Status.StateRevision != 11 {
		t.Fatalf("a newer view did not mark the node down: %+v", up.Status)
	}
	reg := model.NodeRegistration{Address: "http://a:1", RegisteredAt: now.Add(time.Second)}
	if applyMembership(&up, reg, true, 10, now) {
		t.Fatalf("a view from revision 10 brought back up a node marked down at 11: %+v", up.Status)
	}
	if !applyMembership(&up, reg, true, 12, now) || up.Status.State != model.NodeUp || up.Address != "http://a:1" {
		t.Fatalf("a newer live view did not bring the node up: %+v", up.Status)
	}
	if applyMembership(&up, reg, true, 13, now) {
		t.Fatal("the same registration seen again counts as a change")
	}
}

// TestUnknownNodeIsNotRequeued: a lease event of a node without a record
// (removed) is dropped rather than looked at forever.
func TestUnknownNodeIsNotRequeued(t *testing.T) {
	c := observer(t, store.NewTestBackend(t))
	res, err := c.Reconcile(context.Background(), "nobody")
	if err != nil || res.RequeueAfter != 0 {
		t.Fatalf("reconcile of a missing node: %+v %v", res, err)
	}
}

// TestHeartbeatRegistersAgainAfterLosingItsLease: a lease that is lost
// while the daemon runs (revoked here; etcd unreachable for longer than
// the TTL does the same) is replaced by a new registration.
func TestHeartbeatRegistersAgainAfterLosingItsLease(t *testing.T) {
	b := store.NewTestBackend(t)
	c := observer(t, b)
	ctx, stop := context.WithCancel(context.Background())
	if _, err := c.Nodes.Create(ctx, "r", model.Node{Name: "r"}); err != nil {
		t.Fatal(err)
	}
	registered := make(chan struct{}, 4)
	hb := &Heartbeat{Client: b.Client, NodeID: "r", OnRegistered: func() { registered <- struct{}{} }}
	if err := hb.Register(ctx); err != nil {
		t.Fatal(err)
	}
	<-registered
	first := hb.lease
	done := make(chan struct{})
	go func() { defer close(done); hb.Run(ctx) }()
	defer func() { stop(); <-done }()
	if _, err := b.Client.Revoke(ctx, first); err != nil {
		t.Fatal(err)
	}
	select {
	case <-registered:
	case <-time.After(20 * time.Second):
		t.Fatal("the heartbeat did not register again after its lease was revoked")
	}
	waitState(t, c, "r", model.NodeUp)
}
