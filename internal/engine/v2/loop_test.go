package v2

import (
	"github.com/plinth-storage/plinth/internal/engine"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestLoopDevice: a block disk on a real block device is formatted on first
// use, holds an imported copy across close and reopen, and is exclusive
// while open.
func TestLoopDevice(t *testing.T) {
	dev := testenv.LoopDevice(t, 96<<20)
	d := mustOpenDisk(t, dev, 0)
	max, _, _ := d.Capacity()
	if max <= 0 || max > 96<<20 || max%cs != 0 {
		t.Fatalf("capacity of %s: %d", dev, max)
	}
	_, err := OpenDisk(dev, 0, t.TempDir())
	expectErr(t, err, volstore.ErrInUse, "second OpenDisk of the device")
	id := CopyID{Name: "on-loop", UUID: "u"}
	content := importRandom(t, d, id, 9, 24<<20, 7<<20)
	uuid := d.UUID()
	checkClean(t, d)

	d = mustOpenDisk(t, dev, 0)
	if d.UUID() != uuid || d.Path() != dev {
		t.Fatalf("reopened disk %s %s, want %s %s", d.Path(), d.UUID(), dev, uuid)
	}
	expectContent(t, d, id, content)
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDiskRefuses: a disk holding other data is not formatted, and a
// damaged store is refused with the check's report.
func TestOpenDiskRefuses(t *testing.T) {
	other := filepath.Join(t.TempDir(), "other.img")
	if err := os.WriteFile(other, []byte(strings.Repeat("not a store ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if d, err := OpenDisk(other, 0, t.TempDir()); err == nil {
		d.Close()
		t.Fatal("OpenDisk formatted a file holding other data")
	}

	d, path := testDisk(t, 64<<20)
	r := checkClean(t, d)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Copies { // tear both metadata copies
		if _, err := f.WriteAt([]byte("torn"), c.Offset+30); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	_, err = OpenDisk(path, 0, t.TempDir())
	expectErr(t, err, volstore.ErrDamaged, "OpenDisk of a damaged store")
	if !strings.Contains(err.Error(), "plinth disk check") {
		t.Fatalf("the error does not say how to see the report: %v", err)
	}
}
