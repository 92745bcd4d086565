package v1

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
)

func TestOpenDiskKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDisk(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.UUID() == "" {
		t.Fatal("new disk has no UUID")
	}
	again, err := OpenDisk(dir, d.UUID())
	if err != nil || again.UUID() != d.UUID() {
		t.Fatalf("reopen: uuid %q, %v; want %q", again.UUID(), err, d.UUID())
	}
	if _, err := OpenDisk(dir, "another-uuid"); !errors.Is(err, ErrDiskMismatch) {
		t.Fatalf("reopen with another uuid: got %v, want ErrDiskMismatch", err)
	}
	if _, err := OpenDisk(filepath.Join(dir, "missing"), ""); err == nil {
		t.Fatal("a missing disk path was accepted")
	}
	given, err := OpenDisk(t.TempDir(), "given-uuid")
	if err != nil || given.UUID() != "given-uuid" {
		t.Fatalf("new disk with given uuid: %q, %v", given.UUID(), err)
	}
}

func TestDiskStat(t *testing.T) {
	c, err := testDisk(t).Stat()
	if err != nil {
		t.Fatal(err)
	}
	if c.Maximum <= 0 || c.Available < 0 || c.Available > c.Maximum {
		t.Fatalf("implausible capacity %+v", c)
	}
	d := testDisk(t)
	if maxi, avail, err := d.Capacity(); err != nil || maxi <= 0 || avail < 0 || avail > maxi || d.Engine() != engine.V1 {
		t.Fatalf("Capacity() = %d, %d, %v; Engine() = %s", maxi, avail, err, d.Engine())
	}
}

func TestCopyIDValidate(t *testing.T) {
	for _, bad := range []CopyID{{Name: "", UUID: "u"}, {Name: "../x", UUID: "u"}, {Name: "a/b", UUID: "u"}, {Name: "ok", UUID: ""}, {Name: "ok", UUID: "../u"}, {Name: ".hidden", UUID: "u"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
	if err := (CopyID{Name: "ubuntu-22.04_img", UUID: "3f2a9c1e-0000-4000-8000-000000000000"}).Validate(); err != nil {
		t.Fatal(err)
	}
}
