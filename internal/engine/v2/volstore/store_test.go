package volstore

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormatOpenReopenPersists(t *testing.T) {
	s, path := newTestStore(t, 64<<20, smallOpts)
	maxBytes, avail := s.Capacity()
	if maxBytes != avail || maxBytes%s.ClusterSize() != 0 || maxBytes < 60<<20 || maxBytes > 64<<20 {
		t.Fatalf("fresh store capacity = %d max, %d available", maxBytes, avail)
	}
	attrs := map[string]string{AttrImageUUID: "img-1", AttrChecksum: "abc", AttrState: "ready"}
	v := mustCreate(t, s, "bi-one", 1<<20+123, attrs)
	data := randomBytes(1, int(v.Size()))
	mustWrite(t, v, data, 0)
	if err := s.SetReadOnly("bi-one", true); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "bi-two", 5<<20, nil)
	storeUUID, volUUID := s.UUID(), v.UUID()
	_, availBefore := s.Capacity()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.ReadAt(make([]byte, 1), 0); !strings.Contains(errString(err), "closed") {
		t.Fatalf("read after Close: %v, want ErrClosed", err)
	}

	s = mustOpen(t, path)
	if s.UUID() != storeUUID || s.ClusterSize() != smallOpts.ClusterSize {
		t.Fatalf("reopened store uuid %s cluster %d, want %s %d", s.UUID(), s.ClusterSize(), storeUUID, smallOpts.ClusterSize)
	}
	expectAvailable(t, s, availBefore, "after reopen")
	vols := s.List()
	if len(vols) != 2 || vols[0].Name() != "bi-one" || vols[1].Name() != "bi-two" {
		t.Fatalf("List after reopen = %v", names(vols))
	}
	v, err := s.Get("bi-one")
	if err != nil {
		t.Fatal(err)
	}
	if v.UUID() != volUUID || v.Size() != int64(len(data)) || !v.ReadOnly() || !maps.Equal(v.Attrs(), attrs) {
		t.Fatalf("reopened volume: uuid %s size %d ro %v attrs %v", v.UUID(), v.Size(), v.ReadOnly(), v.Attrs())
	}
	expectContent(t, v, data)
	if err := s.SetAttrs("bi-one", map[string]string{AttrState: "failed"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, path)
	v, _ = s.Get("bi-one")
	if got := v.Attrs(); len(got) != 1 || got[AttrState] != "failed" {
		t.Fatalf("attributes after SetAttrs and reopen = %v", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func names(vols []*Volume) []string {
	var out []string
	for _, v := range vols {
		out = append(out, v.Name())
	}
	return out
}

func TestFormatRefusesExistingDataUnlessForced(t *testing.T) {
	s, path := newTestStore(t, 16<<20, smallOpts)
	mustCreate(t, s, "keep", 1<<20, nil)
	s.Close()
	_, err := Format(path, 0, smallOpts)
	if !strings.Contains(errString(err), "already holds a volume store") {
		t.Fatalf("Format over a store: %v", err)
	}
	forced := smallOpts
	forced.Force = true
	s2, err := Format(path, 0, forced)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.List()) != 0 || s2.UUID() == s.UUID() {
		t.Fatalf("forced format kept volumes %v or uuid %s", names(s2.List()), s2.UUID())
	}
	s2.Close()

	other := filepath.Join(t.TempDir(), "fs.img")
	if err := os.WriteFile(other, append([]byte("some filesystem"), make([]byte, 16<<20)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Format(other, 0, smallOpts); !strings.Contains(errString(err), "not zero") {
		t.Fatalf("Format over foreign data: %v", err)
	}
	if _, err := Open(other); !strings.Contains(errString(err), "not a plinth volume store") {
		t.Fatalf("Open of foreign data: %v", err)
	}
	expectErr(t, errOf(Format(other, 1<<30, forced)), ErrInvalid, "Format with the wrong size")
	if _, err := Format(filepath.Join(t.TempDir(), "tiny"), 100<<10, smallOpts); !strings.Contains(errString(err), "too small") {
		t.Fatalf("Format of a 100 KiB disk: %v", err)
	}
}

func errOf(_ *Store, err error) error { return err }

func TestCreateValidation(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, FormatOptions{ClusterSize: 64 << 10, MaxVolumes: 2})
	mustCreate(t, s, "a", 1<<20, nil)
	expectErr(t, errOf2(s.Create("a", 1<<20, nil)), ErrExists, "duplicate name")
	for _, bad := range []string{"", "a/b", "nul\x00", strings.Repeat("x", MaxNameLen+1)} {
		expectErr(t, errOf2(s.Create(bad, 1<<20, nil)), ErrInvalid, "name "+bad)
	}
	expectErr(t, errOf2(s.Create("zero", 0, nil)), ErrInvalid, "size 0")
	big := map[string]string{"k": strings.Repeat("v", MaxAttrBytes)}
	expectErr(t, errOf2(s.Create("big", 1<<20, big)), ErrInvalid, "oversized attributes")
	mustCreate(t, s, "b", 1<<20, nil)
	expectErr(t, errOf2(s.Create("c", 1<<20, nil)), ErrTooManyVolumes, "third volume of two")
	_, err := s.Get("missing")
	expectErr(t, err, ErrNotFound, "Get missing")
	expectErr(t, s.Delete("missing"), ErrNotFound, "Delete missing")
	expectErr(t, s.SetReadOnly("missing", true), ErrNotFound, "SetReadOnly missing")
}

func errOf2(_ *Volume, err error) error { return err }

func TestReadOnlyRefusesWrites(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, smallOpts)
	v := mustCreate(t, s, "ro", 1<<20, nil)
	mustWrite(t, v, []byte("hello"), 0)
	if err := s.SetReadOnly("ro", true); err != nil {
		t.Fatal(err)
	}
	_, err := v.WriteAt([]byte("x"), 0)
	expectErr(t, err, ErrReadOnly, "write to read-only volume")
	if err := s.SetReadOnly("ro", false); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, v, []byte("J"), 0)
	got := make([]byte, 5)
	v.ReadAt(got, 0)
	if string(got) != "Jello" {
		t.Fatalf("read %q", got)
	}
}

func TestStoreIsLockedWhileOpen(t *testing.T) {
	_, path := newTestStore(t, 16<<20, smallOpts)
	_, err := Open(path)
	expectErr(t, err, ErrInUse, "second Open")
	_, err = Check(path)
	expectErr(t, err, ErrInUse, "Check while open")
}

func TestVolumeBounds(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, smallOpts)
	v := mustCreate(t, s, "v", 100_000, nil)
	data := randomBytes(2, 100_000)
	mustWrite(t, v, data, 0)
	_, err := v.WriteAt([]byte{1, 2}, 99_999)
	expectErr(t, err, ErrInvalid, "write past the end")
	buf := make([]byte, 10)
	n, err := v.ReadAt(buf, 99_995)
	if n != 5 || err == nil || err.Error() != "EOF" || string(buf[:5]) != string(data[99_995:]) {
		t.Fatalf("ReadAt across the end = %d, %v", n, err)
	}
	if n, err := v.ReadAt(buf, 100_000); n != 0 || errString(err) != "EOF" {
		t.Fatalf("ReadAt at the end = %d, %v", n, err)
	}
	if err := s.Delete("v"); err != nil {
		t.Fatal(err)
	}
	_, err = v.ReadAt(buf, 0)
	expectErr(t, err, ErrDeleted, "read of a deleted volume")
}

func TestSyncWithoutChangesCommitsNothing(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, smallOpts)
	v := mustCreate(t, s, "v", 1<<20, nil)
	gen := s.gen
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if s.gen != gen {
		t.Fatalf("Sync with nothing to commit moved generation %d to %d", gen, s.gen)
	}
	mustWrite(t, v, []byte{1}, 0)
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	if s.gen != gen+1 {
		t.Fatalf("Sync after a write left generation %d, want %d", s.gen, gen+1)
	}
}
