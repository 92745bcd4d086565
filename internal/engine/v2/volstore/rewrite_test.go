package volstore

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// TestRewriteReadOnly: Rewrite changes a read-only volume copy-on-write
// and durably (a crash right after keeps the new bytes), frees a cluster
// rewritten with zeros, refuses a range outside the volume, and
// DiskOffset finds the bytes in the disk file.
func TestRewriteReadOnly(t *testing.T) {
	s, path := newTestStore(t, 64<<20, FormatOptions{MaxVolumes: 4})
	cs := s.ClusterSize()
	v := mustCreate(t, s, "ro", 3*cs, nil)
	old := randomBytes(1, int(3*cs))
	mustWrite(t, v, old, 0)
	if err := s.SetReadOnly("ro", true); err != nil {
		t.Fatal(err)
	}
	at, ok := v.DiskOffset(cs + 5)
	if !ok {
		t.Fatal("DiskOffset: cluster 1 is a hole")
	}
	disk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if disk[at] != old[cs+5] {
		t.Fatalf("DiskOffset %d holds %#x, the volume's byte is %#x", at, disk[at], old[cs+5])
	}
	_, avail := s.Capacity()
	repl := randomBytes(2, int(cs))
	if err := s.Rewrite("ro", repl, cs); err != nil {
		t.Fatal(err)
	}
	if now, _ := v.DiskOffset(cs + 5); now == at {
		t.Fatal("Rewrite wrote a committed cluster in place")
	}
	if err := s.Rewrite("ro", make([]byte, cs), 2*cs); err != nil {
		t.Fatal(err)
	}
	if _, got := s.Capacity(); got != avail+cs {
		t.Fatalf("available %d after rewriting a cluster with zeros, want %d", got, avail+cs)
	}
	if err := s.Rewrite("ro", repl, 3*cs-10); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Rewrite beyond the volume: %v", err)
	}
	crash(s)
	s = mustOpen(t, path)
	v, err = s.Get("ro")
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, old[:cs]...), repl...), make([]byte, cs)...)
	got := make([]byte, 3*cs)
	if _, err := v.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after a crash the volume reads other bytes (%v)", err)
	}
	if !v.ReadOnly() {
		t.Fatal("Rewrite cleared the read-only flag")
	}
	if _, ok := v.DiskOffset(2 * cs); ok {
		t.Fatal("the zeroed cluster is still allocated")
	}
}
