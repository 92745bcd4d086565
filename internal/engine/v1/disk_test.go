package v1

import (
	"errors"
	"path/filepath"
	"testing"
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
}

func TestCopyIDValidate(t *testing.T) {
	for _, bad := range []CopyID{{"", "u"}, {"../x", "u"}, {"a/b", "u"}, {"ok", ""}, {"ok", "../u"}, {".hidden", "u"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
	if err := (CopyID{"ubuntu-22.04_img", "3f2a9c1e-0000-4000-8000-000000000000"}).Validate(); err != nil {
		t.Fatal(err)
	}
}
