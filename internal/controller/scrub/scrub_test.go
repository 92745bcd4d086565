package scrub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/enginetest"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

var imagefmtLimits = imagefmt.Limits{}

const bad = 2 * engine.BlockSize

func TestVerifyRepairsFromAnotherCopy(t *testing.T) {
	f := newFixture(t, 2)
	f.disks[0].Flip(imgID, bad+100)
	rep, err := f.s.VerifyImage(context.Background(), "img")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Copies) != 2 {
		t.Fatalf("verified %d copies, want 2", len(rep.Copies))
	}
	r := rep.Copies[0]
	if r.DiskName != "d1" || !slices.Equal(r.Damaged, []int64{bad}) || r.Repaired[bad] != "the copy on disk d2" || len(r.Unrepaired) != 0 {
		t.Fatalf("report of the damaged copy: %+v", r)
	}
	cp := f.copyOn(t, 0)
	if cp.State != apitypes.StateReady || !strings.Contains(cp.Message, "block 2 (offset 4194304)") || !strings.Contains(cp.Message, "from the copy on disk d2") {
		t.Fatalf("copy after repair: %s %q", cp.State, cp.Message)
	}
	f.intact(t, 0)
	if c2 := rep.Copies[1]; len(c2.Damaged) != 0 || c2.State != apitypes.StateReady {
		t.Fatalf("the intact copy: %+v", c2)
	}
	for i, d := range f.disks { // on demand is never throttled
		for _, call := range d.VerifyCalls() {
			if call.BytesPerSecond != 0 {
				t.Fatalf("disk %d verified at %d B/s on demand", i+1, call.BytesPerSecond)
			}
		}
	}
}

func TestVerifyRepairsFromABackup(t *testing.T) {
	f := newFixture(t, 1)
	src := &blocks{data: f.data, checksum: enginetest.Checksum(f.data)}
	f.s.Backups = src
	f.disks[0].Flip(imgID, bad+7)
	f.disks[0].Flip(imgID, engine.BlockSize+3) // the zero block: zeros need no source
	if _, err := f.s.VerifyImage(context.Background(), "img"); err != nil {
		t.Fatal(err)
	}
	cp := f.copyOn(t, 0)
	if cp.State != apitypes.StateReady || !strings.Contains(cp.Message, "block 2 (offset 4194304) from a backup of the image") ||
		!strings.Contains(cp.Message, "block 1 (offset 2097152) from zeros") {
		t.Fatalf("copy after repair: %s %q", cp.State, cp.Message)
	}
	if src.calls != 1 {
		t.Fatalf("backup asked %d times, want once (the zero block needs no backup)", src.calls)
	}
	f.intact(t, 0)
}

func TestNotRepairableStaysFailedSayingWhatToDo(t *testing.T) {
	f := newFixture(t, 1)
	f.s.Backups = &blocks{data: f.data, checksum: enginetest.Checksum(f.data), lie: true} // Repair must refuse these
	f.disks[0].Flip(imgID, bad+7)
	rep, err := f.s.VerifyImage(context.Background(), "img")
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Copies[0]; !slices.Equal(r.Unrepaired, []int64{bad}) || len(r.Repaired) != 0 {
		t.Fatalf("report: %+v", r)
	}
	cp := f.copyOn(t, 0)
	if cp.State != apitypes.StateFailed || !strings.Contains(cp.Message, "block 2 (offset 4194304)") || !strings.Contains(cp.Message, "backingImageCleanup") {
		t.Fatalf("unrepairable copy: %s %q", cp.State, cp.Message)
	}
	got, _ := f.disks[0].Bytes(imgID)
	if got[bad+7] == f.data[bad+7] {
		t.Fatal("lying backup bytes were written")
	}
}

func TestVerifyUnknownImage(t *testing.T) {
	f := newFixture(t, 1)
	if _, err := f.s.VerifyImage(context.Background(), "nope"); !errors.Is(err, ErrNoImage) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("VerifyImage of a missing image: %v", err)
	}
}

func TestPassRespectsTheIntervalAndTheRate(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	f.set(t, settings.ScrubInterval, "24")
	f.set(t, settings.ScrubRateMB, "8")
	verifies := func() int { return len(f.disks[0].VerifyCalls()) + len(f.disks[1].VerifyCalls()) }

	f.clock.Advance(time.Hour) // made an hour ago: not due
	if _, err := f.s.Pass(ctx); err != nil || verifies() != 0 {
		t.Fatalf("pass an hour after the copies were made verified %d (err %v)", verifies(), err)
	}
	f.clock.Advance(24 * time.Hour)
	f.disks[1].Flip(imgID, bad+1)
	if _, err := f.s.Pass(ctx); err != nil || verifies() != 3 { // both, and d2 again after its repair
		t.Fatalf("due pass: %d verifies (err %v)", verifies(), err)
	}
	for _, c := range append(f.disks[0].VerifyCalls(), f.disks[1].VerifyCalls()[0]) {
		if c.BytesPerSecond != 8_000_000 {
			t.Fatalf("background verify at %d B/s, want 8000000", c.BytesPerSecond)
		}
	}
	if cp := f.copyOn(t, 1); cp.State != apitypes.StateReady || !strings.Contains(cp.Message, "scrub at") || !strings.Contains(cp.Message, "from the copy on disk d1") {
		t.Fatalf("scrubbed damaged copy: %s %q", cp.State, cp.Message)
	}
	f.intact(t, 1)

	// A restarted scrubber remembers: nothing is due until 24h later.
	f.s = &Scrubber{BIs: f.s.BIs, Settings: f.s.Settings, Disks: f.s.Disks, NodeID: "n1", Scrubs: f.s.Scrubs, Now: f.clock.Now}
	f.clock.Advance(23 * time.Hour)
	if wait, err := f.s.Pass(ctx); err != nil || verifies() != 3 || wait > maxSleep {
		t.Fatalf("pass 23h after the scrub: %d verifies, wait %v (err %v)", verifies(), wait, err)
	}
	f.set(t, settings.ScrubInterval, "0") // disabled
	f.clock.Advance(48 * time.Hour)
	if _, err := f.s.Pass(ctx); err != nil || verifies() != 3 {
		t.Fatalf("disabled scrub verified: %d (err %v)", verifies(), err)
	}
	f.set(t, settings.ScrubInterval, "2s")
	if _, err := f.s.Pass(ctx); err != nil || verifies() != 5 {
		t.Fatalf("pass with a 2s interval: %d verifies (err %v)", verifies(), err)
	}
}

func TestPassTakesUpACopyABackupFoundDamaged(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	f.disks[0].Flip(imgID, bad+1)
	// The backup controller marked it failed a minute ago.
	damage := &engine.DamagedError{ID: imgID, Disk: "/mem/d1", Offsets: []int64{bad}}
	if _, err := f.s.BIs.Mutate(ctx, "img", func(bi *model.BackingImage) error {
		bi.Status.Copies[f.disks[0].UUID()].SetState(apitypes.StateFailed, damage.Error(), t0.Add(time.Hour))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour + time.Minute)
	if _, err := f.s.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if cp := f.copyOn(t, 0); cp.State != apitypes.StateReady || !strings.Contains(cp.Message, "from the copy on disk d2") {
		t.Fatalf("copy a backup found damaged, after a pass: %s %q", cp.State, cp.Message)
	}
	f.intact(t, 0)
	if n := len(f.disks[1].VerifyCalls()); n != 0 {
		t.Fatalf("the ready copy, not due, was verified %d times", n)
	}
}
