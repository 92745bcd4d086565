package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/engine"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	v2 "github.com/plinth-storage/plinth/internal/engine/v2"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// DefaultDiskName is the name of the filesystem disk created under the data
// directory at first start.
const DefaultDiskName = "default-disk"

// recheck is how often disks are re-examined without any event.
const recheck = 30 * time.Second

// Controller reconciles this node's record (its disks) and the membership
// state of every node's record (see reconcileMembership).
type Controller struct {
	Nodes  *store.Kind[model.Node]
	NodeID string
	// Members reads the nodes' lease keys; nil leaves State alone (tests
	// of the disk work alone).
	Members  *Members
	Registry *Registry
	Log      *slog.Logger
	// Settings holds the disk reserve setting; nil means its default.
	Settings *settings.Store
	// OnChange is called after the set of ready disks may have changed.
	OnChange func()
	// StageDir is the folder where block disks stage sequential sources
	// (downloads, uploads) before conversion, shared by every block disk:
	// <data-dir>/staging. The daemon creates it and clears it at start-up.
	StageDir string

	// blocks holds the open block disks by path: a volume store is opened
	// once (it takes an exclusive lock) and reused by every pass.
	mu     sync.Mutex
	blocks map[string]*v2.Disk

	// reconciling serialises Reconcile: the runner and the API (which
	// reconciles inline after a diskUpdate) must not publish disks from
	// different versions of the spec in the wrong order.
	reconciling sync.Mutex
}

var _ runner.Reconciler = (*Controller)(nil)

// EnsureNode creates this node's record with a default disk under dataDir
// if it does not exist yet.
func (c *Controller) EnsureNode(ctx context.Context, dataDir, address string) error {
	diskPath := filepath.Join(dataDir, "disks", DefaultDiskName)
	if err := os.MkdirAll(diskPath, 0o750); err != nil {
		return fmt.Errorf("create default disk folder %s: %w", diskPath, err)
	}
	n := model.Node{Name: c.NodeID, Address: address, Disks: map[string]apitypes.DiskSpec{
		DefaultDiskName: {Path: diskPath, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true, Tags: []string{}},
	}}
	_, err := c.Nodes.Create(ctx, c.NodeID, n)
	if errors.Is(err, store.ErrExists) {
		_, err = c.Nodes.Mutate(ctx, c.NodeID, func(n *model.Node) error {
			if n.Address == address {
				return store.ErrNoChange
			}
			n.Address = address
			return nil
		})
	}
	return err
}

// Reconcile sets any node's state from its lease key and, for this node,
// opens every disk, records its status, and publishes the ready ones to
// the Registry. Every node is looked at again after recheck, so a missed
// lease event cannot leave a state wrong for long.
func (c *Controller) Reconcile(ctx context.Context, key string) (runner.Result, error) {
	gone, err := c.reconcileMembership(ctx, key)
	if err != nil {
		return runner.Result{}, err
	}
	if key != c.NodeID {
		if gone {
			return runner.Result{}, nil // a removed node needs no more looks
		}
		return runner.Result{RequeueAfter: recheck}, nil
	}
	c.reconciling.Lock()
	defer c.reconciling.Unlock()
	cur, err := c.Nodes.Get(ctx, key)
	if err != nil {
		return runner.Result{}, err
	}
	statuses := map[string]model.DiskStatus{}
	var ready []DiskRef
	pct := MinimalAvailablePercent(ctx, c.Settings)
	for name, spec := range cur.Value.Disks {
		prev := cur.Value.Status.Disks[name]
		st, ref := c.examine(name, spec, prev.DiskUUID)
		if ref != nil {
			c.checkPressure(name, spec, pct, prev, &st, ref)
		}
		statuses[name] = st
		if ref != nil {
			ready = append(ready, *ref)
		}
	}
	changed := c.Registry.replace(ready)
	c.closeRemovedBlocks(cur.Value.Disks)
	_, err = c.Nodes.Mutate(ctx, key, func(n *model.Node) error {
		if sameStatuses(n.Status.Disks, statuses) {
			return store.ErrNoChange // only the probe time moved: no write, no event
		}
		n.Status.Disks = statuses
		return nil
	})
	if changed && c.OnChange != nil {
		c.OnChange()
	}
	return runner.Result{RequeueAfter: recheck}, err
}

func (c *Controller) examine(name string, spec apitypes.DiskSpec, knownUUID string) (model.DiskStatus, *DiskRef) {
	st := model.DiskStatus{DiskUUID: knownUUID, CheckedAt: time.Now().UTC()}
	switch spec.DiskType {
	case apitypes.DiskTypeBlock:
		return c.examineBlock(name, spec, st)
	case apitypes.DiskTypeFilesystem:
	default:
		st.Message = fmt.Sprintf("disk type %q is not supported", spec.DiskType)
		return st, nil
	}
	d, err := v1.OpenDisk(spec.Path, knownUUID)
	if err != nil {
		st.Message = fmt.Sprintf("disk %s at %s is not usable: %v", name, spec.Path, err)
		return st, nil
	}
	return ready(name, spec, st, d)
}

// ready reports an open disk's identity and capacity, and its registry
// entry; a disk whose capacity cannot be read is not ready.
func ready(name string, spec apitypes.DiskSpec, st model.DiskStatus, d engine.Disk) (model.DiskStatus, *DiskRef) {
	maximum, available, err := d.Capacity()
	if err != nil {
		st.Message = fmt.Sprintf("disk %s at %s: %v", name, spec.Path, err)
		return st, nil
	}
	st.DiskUUID, st.StorageMaximum, st.StorageAvailable, st.Ready = d.UUID(), maximum, available, true
	st.CheckedAt = time.Now().UTC()
	return st, &DiskRef{Name: name, UUID: d.UUID(), Spec: spec, Disk: d, Available: available - spec.StorageReserved}
}

// sameStatuses compares disk statuses ignoring when they were probed.
// Free space that moved by less than availableSlack is not a change worth a
// write: on a shared disk it moves all the time, and every write wakes the
// watchers (the node controller itself, the UI) again.
func sameStatuses(a, b map[string]model.DiskStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		y, ok := b[name]
		x.CheckedAt, y.CheckedAt = time.Time{}, time.Time{}
		if d := x.StorageAvailable - y.StorageAvailable; d < availableSlack(x.StorageMaximum) && -d < availableSlack(x.StorageMaximum) {
			y.StorageAvailable = x.StorageAvailable
		}
		if !ok || x != y {
			return false
		}
	}
	return true
}

// availableSlack is how far a disk's free space may move before the node
// record is rewritten: 1% of the disk, at least 64 MiB. Requests that need
// the exact figure (the 507 check, node replies) read live capacity.
func availableSlack(maximum int64) int64 { return max(maximum/100, 64<<20) }
