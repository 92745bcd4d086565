package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// TestCheckRoomIs507BelowTheReserve checks a real filesystem disk by its
// live capacity against the setting read at request time.
func TestCheckRoomIs507BelowTheReserve(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	disk, err := v1.OpenDisk(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	b := store.NewTestBackend(t)
	sets := settings.NewStore(store.NewKind[model.Setting](b.Client, model.KindSettings))
	reg := node.RegistryOf(node.DiskRef{Name: "d1", UUID: disk.UUID(), Disk: disk,
		Spec: apitypes.DiskSpec{Path: dir, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}})
	s := &Server{d: Deps{Disks: reg, Settings: sets, NodeID: "node-1"}}

	if err := sets.Set(ctx, settings.StorageMinimalAvailablePercentage, "100"); err != nil {
		t.Fatal(err)
	}
	err = s.checkRoom(ctx, apitypes.DataEngineV1, nil, 0)
	if statusOf(err) != http.StatusInsufficientStorage {
		t.Fatalf("at 100%%: %v, want a 507", err)
	}
	for _, want := range []string{"disk d1 (" + dir + ") on node node-1", "available, at or below its reserve of",
		settings.StorageMinimalAvailablePercentage, "free space on the disk"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("507 message %q lacks %q", err, want)
		}
	}
	if err := sets.Set(ctx, settings.StorageMinimalAvailablePercentage, "0"); err != nil {
		t.Fatal(err)
	}
	if err := s.checkRoom(ctx, apitypes.DataEngineV1, nil, 0); err != nil {
		t.Fatalf("at 0%%: %v, want room", err)
	}
	// No disk of the engine's type at all stays a 422, not a 507.
	if err := s.checkRoom(ctx, apitypes.DataEngineV2, nil, 0); statusOf(err) != http.StatusUnprocessableEntity {
		t.Fatalf("v2 without a block disk: %v, want a 422", err)
	}
}
