package node

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestSchedulableFiltersAndOrders(t *testing.T) {
	fs := func(name, uuid string, avail int64, sched bool, tags ...string) DiskRef {
		return DiskRef{Name: name, UUID: uuid, Available: avail,
			Spec: apitypes.DiskSpec{DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: sched, Tags: tags}}
	}
	r := RegistryOf(
		fs("small", "u1", 10, true, "ssd"),
		fs("big", "u2", 100, true, "ssd", "fast"),
		fs("off", "u3", 1000, false, "ssd"),
		DiskRef{Name: "blk", UUID: "u4", Available: 5000, Spec: apitypes.DiskSpec{DiskType: apitypes.DiskTypeBlock, AllowScheduling: true}},
	)
	got := r.Schedulable(apitypes.DiskTypeFilesystem, []string{"ssd"})
	if len(got) != 2 || got[0].Name != "big" || got[1].Name != "small" {
		t.Fatalf("schedulable ssd disks = %+v, want big then small", got)
	}
	if got := r.Schedulable(apitypes.DiskTypeFilesystem, []string{"fast"}); len(got) != 1 || got[0].Name != "big" {
		t.Fatalf("fast disks = %+v", got)
	}
	if got := r.Schedulable(apitypes.DiskTypeBlock, nil); len(got) != 1 || got[0].UUID != "u4" {
		t.Fatalf("block disks = %+v", got)
	}
	if _, ok := r.Get("u3"); !ok {
		t.Fatal("Get misses a ready but unschedulable disk")
	}
}
