package node

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// capDisk is an engine.Disk that only reports capacity.
type capDisk struct {
	engine.Disk
	maximum, available int64
	err                error
}

func (d capDisk) Capacity() (int64, int64, error) { return d.maximum, d.available, d.err }

func TestCapacityIsTheDisksLiveCapacity(t *testing.T) {
	r := RegistryOf(DiskRef{Name: "a", UUID: "a", Disk: capDisk{maximum: 100, available: 40}},
		DiskRef{Name: "b", UUID: "b", Disk: capDisk{err: errors.New("statfs failed")}})
	if m, a, ok := r.Capacity("a"); !ok || m != 100 || a != 40 {
		t.Fatalf("Capacity(a) = %d, %d, %v", m, a, ok)
	}
	if _, _, ok := r.Capacity("b"); ok {
		t.Fatal("a disk whose capacity cannot be read reports one")
	}
	if _, _, ok := r.LiveCapacity(DiskRef{UUID: "gone"}); ok {
		t.Fatal("an unknown disk reports a capacity")
	}
}

// TestReconcileOpensBothEnginesBehindOneInterface opens a real filesystem
// disk and a real block disk (a file) and finds each in the registry as an
// engine.Disk of its engine; the block disk stages in StageDir.
func TestReconcileOpensBothEnginesBehindOneInterface(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := &Controller{Nodes: store.NewKind[model.Node](store.NewTestBackend(t).Client, model.KindNodes), NodeID: "node-1",
		Registry: NewRegistry(), StageDir: filepath.Join(dir, "staging")}
	defer c.Close()
	if err := c.EnsureNode(ctx, dir, "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	blk := apitypes.DiskSpec{Path: filepath.Join(dir, "block.img"), DiskType: apitypes.DiskTypeBlock, Size: 128 << 20, AllowScheduling: true, Tags: []string{}}
	if _, err := c.Nodes.Mutate(ctx, "node-1", func(n *model.Node) error { n.Disks["blk"] = blk; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reconcile(ctx, "node-1"); err != nil {
		t.Fatal(err)
	}
	n, _ := c.Nodes.Get(ctx, "node-1")
	engines := map[string]engine.Engine{}
	for name, st := range n.Value.Status.Disks {
		ref, ok := c.Registry.Get(st.DiskUUID)
		if !st.Ready || !ok {
			t.Fatalf("disk %s not ready: %q", name, st.Message)
		}
		if ref.UUID != ref.Disk.UUID() || ref.Disk.Path() != n.Value.Disks[name].Path || st.StorageMaximum <= 0 {
			t.Fatalf("disk %s: ref %+v, status %+v", name, ref, st)
		}
		engines[name] = ref.Disk.Engine()
	}
	if engines[DefaultDiskName] != engine.V1 || engines["blk"] != engine.V2 {
		t.Fatalf("engines %v, want the default disk v1 and the block disk v2", engines)
	}
	// Without a staging folder a block disk is refused, saying why.
	c2 := &Controller{Nodes: c.Nodes, NodeID: "node-1", Registry: NewRegistry()}
	c.Close() // the volume store is opened by one process at a time
	if _, err := c2.Reconcile(ctx, "node-1"); err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	n, _ = c2.Nodes.Get(ctx, "node-1")
	if st := n.Value.Status.Disks["blk"]; st.Ready || !strings.Contains(st.Message, "staging") {
		t.Fatalf("block disk without a staging folder: ready %v, %q", st.Ready, st.Message)
	}
}
