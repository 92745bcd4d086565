package node

import (
	"context"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

func TestRoomReserveAndHasRoom(t *testing.T) {
	cases := []struct {
		name                 string
		maximum, avail, resv int64
		pct                  int
		need                 int64
		wantReserve          int64
		want                 bool
	}{
		{"plenty", 1000, 500, 0, 25, 0, 250, true},
		{"at the reserve is pressure (Longhorn's rule)", 1000, 250, 0, 25, 0, 250, false},
		{"just above", 1000, 251, 0, 25, 0, 250, true},
		{"storageReserved larger than the percentage", 1000, 500, 600, 25, 0, 600, false},
		{"100% is never room, even on an empty disk", 1000, 1000, 0, 100, 0, 1000, false},
		{"0% is room while a byte is free", 1000, 1, 0, 0, 0, 0, true},
		{"a full disk has no room at 0%", 1000, 0, 0, 0, 0, 0, false},
		{"need pushes below the reserve", 1000, 500, 0, 25, 251, 250, false},
		{"need fits", 1000, 500, 0, 25, 249, 250, true},
		{"unknown size", 0, 0, 0, 0, 0, 0, false},
		{"huge disk does not overflow", 1 << 62, 1 << 61, 0, 25, 0, 1 << 60, true},
	}
	for _, c := range cases {
		r := NewRoom(c.maximum, c.avail, c.resv, c.pct)
		if r.Reserve != c.wantReserve || r.HasRoom(c.need) != c.want {
			t.Errorf("%s: reserve %d, HasRoom(%d) = %v; want reserve %d, %v", c.name, r.Reserve, c.need, r.HasRoom(c.need), c.wantReserve, c.want)
		}
	}
}

func TestFindRoomWithFakeCapacity(t *testing.T) {
	fs := func(name string) DiskRef {
		return DiskRef{Name: name, UUID: name, Spec: apitypes.DiskSpec{Path: "/disks/" + name, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}}
	}
	capa := map[string][2]int64{"full": {1 << 30, 1 << 20}, "roomy": {1 << 30, 1 << 29}}
	fake := func(d DiskRef) (int64, int64, bool) {
		c, ok := capa[d.Name]
		return c[0], c[1], ok
	}
	got, reasons, ok := FindRoom([]DiskRef{fs("full"), fs("roomy")}, 0, 10, "node-1", fake)
	if !ok || got.Name != "roomy" || reasons != nil {
		t.Fatalf("FindRoom = %s, %v, %v; want roomy", got.Name, reasons, ok)
	}
	_, reasons, ok = FindRoom([]DiskRef{fs("full"), fs("gone")}, 0, 10, "node-1", fake)
	if ok || len(reasons) != 2 {
		t.Fatalf("FindRoom on a full and an unreadable disk = %v, %v; want two reasons", reasons, ok)
	}
	for _, want := range []string{"disk full (/disks/full) on node node-1", "has 1048576 bytes (1.0 MiB) available",
		"reserve of 107374182 bytes", "10% of its size 1073741824 bytes", settings.StorageMinimalAvailablePercentage,
		"free space on the disk, add a disk", "lower the setting"} {
		if !strings.Contains(reasons[0], want) {
			t.Errorf("reason %q lacks %q", reasons[0], want)
		}
	}
	if !strings.Contains(reasons[1], "disk gone") || !strings.Contains(reasons[1], "cannot be read") {
		t.Errorf("unreadable disk reason = %q", reasons[1])
	}
	// A known size that would cross the reserve is refused and says so.
	_, reasons, ok = FindRoom([]DiskRef{fs("roomy")}, 1<<29, 10, "node-1", fake)
	if ok || !strings.Contains(reasons[0], "so writing 536870912 bytes (512.0 MiB) would leave less than its reserve") {
		t.Fatalf("FindRoom(need 512 MiB) = %v, %v", reasons, ok)
	}
}

func TestCheckPressureFlagsStatusAndRegistryEntry(t *testing.T) {
	c := &Controller{NodeID: "node-1"}
	spec := apitypes.DiskSpec{Path: "/d", DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}
	st := model.DiskStatus{StorageMaximum: 1000, StorageAvailable: 100, Ready: true}
	ref := DiskRef{Name: "d", UUID: "u", Spec: spec}
	c.checkPressure("d", spec, 25, model.DiskStatus{}, &st, &ref)
	if st.Pressure == "" || ref.Pressure != st.Pressure || !strings.Contains(st.Pressure, "has 100 bytes available") {
		t.Fatalf("pressure = %q / %q", st.Pressure, ref.Pressure)
	}
	st = model.DiskStatus{StorageMaximum: 1000, StorageAvailable: 900, Ready: true}
	ref = DiskRef{Name: "d", UUID: "u", Spec: spec}
	c.checkPressure("d", spec, 25, model.DiskStatus{Pressure: "old"}, &st, &ref)
	if st.Pressure != "" || ref.Pressure != "" {
		t.Fatalf("pressure not cleared: %q / %q", st.Pressure, ref.Pressure)
	}
}

func TestSchedulableSkipsDisksUnderPressure(t *testing.T) {
	spec := apitypes.DiskSpec{DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}
	r := RegistryOf(DiskRef{Name: "a", UUID: "a", Spec: spec, Pressure: "full"}, DiskRef{Name: "b", UUID: "b", Spec: spec})
	if got := r.Schedulable(apitypes.DiskTypeFilesystem, nil); len(got) != 1 || got[0].Name != "b" {
		t.Fatalf("Schedulable = %+v, want only b", got)
	}
	if got := r.Candidates(apitypes.DiskTypeFilesystem, nil); len(got) != 2 {
		t.Fatalf("Candidates = %+v, want a and b", got)
	}
	if !r.replace([]DiskRef{{Name: "a", UUID: "a", Spec: spec}, {Name: "b", UUID: "b", Spec: spec}}) {
		t.Fatal("a disk leaving pressure does not count as a change: images waiting for room would not be rescheduled")
	}
}

// TestReconcileReportsDiskPressureBySetting drives a real filesystem disk
// through the setting: at 100% any disk is under pressure, at 0% a disk
// with free space is not; each flip is written and announced.
func TestReconcileReportsDiskPressureBySetting(t *testing.T) {
	ctx := context.Background()
	b := store.NewTestBackend(t)
	sets := settings.NewStore(store.NewKind[model.Setting](b.Client, model.KindSettings))
	changes := 0
	c := &Controller{Nodes: store.NewKind[model.Node](b.Client, model.KindNodes), NodeID: "node-1",
		Registry: NewRegistry(), Settings: sets, OnChange: func() { changes++ }}
	if err := c.EnsureNode(ctx, t.TempDir(), "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	reconcile := func(pct string) model.DiskStatus {
		t.Helper()
		if err := sets.Set(ctx, settings.StorageMinimalAvailablePercentage, pct); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Reconcile(ctx, "node-1"); err != nil {
			t.Fatal(err)
		}
		n, err := c.Nodes.Get(ctx, "node-1")
		if err != nil {
			t.Fatal(err)
		}
		return n.Value.Status.Disks[DefaultDiskName]
	}
	st := reconcile("100")
	if !st.Ready || !strings.Contains(st.Pressure, "at or below its reserve") {
		t.Fatalf("at 100%%: status %+v, want disk pressure", st)
	}
	if len(c.Registry.Schedulable(apitypes.DiskTypeFilesystem, nil)) != 0 || len(c.Registry.Candidates(apitypes.DiskTypeFilesystem, nil)) != 1 {
		t.Fatal("a disk under pressure is still offered for new copies")
	}
	before := changes
	if st = reconcile("0"); st.Pressure != "" {
		t.Fatalf("at 0%%: pressure %q", st.Pressure)
	}
	if len(c.Registry.Schedulable(apitypes.DiskTypeFilesystem, nil)) != 1 {
		t.Fatal("the disk out of pressure is not schedulable again")
	}
	if changes == before {
		t.Fatal("OnChange not called when the disk left pressure")
	}
}
