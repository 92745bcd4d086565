package volstore

import (
	"strings"
	"testing"
)

// TestCrashKeepsLastCommitExactly overwrites committed clusters and writes
// new ones, then "crashes": after reopen the volume reads exactly what it
// read at the last Sync, the clusters of the lost writes are free, and the
// store checks clean.
func TestCrashKeepsLastCommitExactly(t *testing.T) {
	s, path := newTestStore(t, 16<<20, smallOpts)
	cs := s.ClusterSize()
	v := mustCreate(t, s, "v", 8*cs, nil)
	committed := make([]byte, 8*cs)
	copy(committed, randomBytes(1, int(3*cs)))
	mustWrite(t, v, committed[:3*cs], 0)
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	_, availCommitted := s.Capacity()
	mustWrite(t, v, randomBytes(2, int(2*cs)), cs/2)       // over committed clusters 0..2
	mustWrite(t, v, randomBytes(3, int(3*cs)), 5*cs)       // into holes
	mustWrite(t, v, make([]byte, cs), 0)                   // frees committed cluster 0 in memory
	if _, err := s.Create("second", cs, nil); err != nil { // a metadata change commits everything so far
		t.Fatal(err)
	}
	committed2 := make([]byte, 8*cs)
	if _, err := v.ReadAt(committed2, 0); err != nil {
		t.Fatal(err)
	}
	_, availCommitted2 := s.Capacity()
	mustWrite(t, v, randomBytes(4, int(8*cs)), 0) // everything, unsynced
	crash(s)

	s = mustOpen(t, path)
	v, err := s.Get("v")
	if err != nil {
		t.Fatal(err)
	}
	expectContent(t, v, committed2)
	expectAvailable(t, s, availCommitted2, "after the crash")
	if availCommitted2 >= availCommitted {
		t.Fatalf("the second commit should hold more clusters (%d vs %d available)", availCommitted2, availCommitted)
	}
	if r := mustCheckClosed(t, s); r.LeakedClusters != 0 || r.OwnedClusters != 5 { // logical 1, 2, 5, 6, 7
		t.Fatalf("after crash and reopen: %s", r)
	}
}

// TestTornNewestGenerationFallsBack damages the newest metadata copy in
// several ways; each time the store opens at the previous generation, and
// a later commit overwrites the torn copy.
func TestTornNewestGenerationFallsBack(t *testing.T) {
	damages := map[string]func(t *testing.T, path string, off int64, length int){
		"payload byte flipped": func(t *testing.T, path string, off int64, length int) {
			overwrite(t, path, off+metaHeaderSize+int64(length)/2, []byte{0x5a})
		},
		"payload tail missing": func(t *testing.T, path string, off int64, length int) {
			overwrite(t, path, off+metaHeaderSize+int64(length)/3, make([]byte, length))
		},
		"header torn": func(t *testing.T, path string, off int64, length int) {
			overwrite(t, path, off, make([]byte, 32))
		},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s, path := newTestStore(t, 16<<20, smallOpts)
			v := mustCreate(t, s, "old", 1<<20, nil)
			data := randomBytes(1, 1<<20)
			mustWrite(t, v, data, 0)
			if err := v.Sync(); err != nil {
				t.Fatal(err)
			}
			prevGen := s.gen
			mustCreate(t, s, "new", 1<<20, nil)
			s.mu.Lock()
			area, length := s.active, len(encodeMeta(s.snapshotLocked()))
			s.mu.Unlock()
			off := int64(s.sb.metaOffset[area])
			crash(s)
			damage(t, path, off, length)

			r, err := Check(path)
			if err != nil || !r.OK() || r.Generation != prevGen || len(r.Notes) != 1 || r.Copies[area].Valid {
				t.Fatalf("Check after tearing generation %d: %v\n%s", prevGen+1, err, r)
			}
			s = mustOpen(t, path)
			if _, err := s.Get("new"); err == nil {
				t.Fatal("the torn generation's volume is visible")
			}
			v, err = s.Get("old")
			if err != nil {
				t.Fatal(err)
			}
			expectContent(t, v, data)
			mustCreate(t, s, "again", 1<<20, nil)
			if s.active != area || s.gen != prevGen+1 {
				t.Fatalf("next commit went to area %d generation %d, want %d %d", s.active, s.gen, area, prevGen+1)
			}
			if r := mustCheckClosed(t, s); len(r.Notes) != 0 || r.Volumes != 2 {
				t.Fatalf("after the next commit: %s", r)
			}
		})
	}
}

func TestBothCopiesBadIsDamage(t *testing.T) {
	s, path := newTestStore(t, 16<<20, smallOpts)
	sb := s.sb
	s.Close()
	for _, off := range sb.metaOffset {
		overwrite(t, path, int64(off)+metaHeaderSize, []byte{0xff, 0xee})
	}
	r, err := Check(path)
	if err != nil || r.OK() || !strings.Contains(r.Problems[0], "no valid metadata copy") ||
		!strings.Contains(r.Problems[0], "checksum mismatch") {
		t.Fatalf("Check: %v\n%s", err, r)
	}
	_, err = Open(path)
	expectErr(t, err, ErrDamaged, "Open with both copies bad")
	if !strings.Contains(err.Error(), "plinth disk check "+path) {
		t.Fatalf("damage error does not say how to see the report: %v", err)
	}
}

func TestSuperblockChecksum(t *testing.T) {
	s, path := newTestStore(t, 16<<20, smallOpts)
	s.Close()
	overwrite(t, path, 33, []byte{0x7f}) // inside the cluster size field
	r, err := Check(path)
	if err != nil || r.OK() || !strings.Contains(r.Problems[0], "superblock checksum mismatch") {
		t.Fatalf("Check: %v\n%s", err, r)
	}
	_, err = Open(path)
	expectErr(t, err, ErrDamaged, "Open with a bad superblock")
}

func TestFormatVersionBumpRefused(t *testing.T) {
	s, path := newTestStore(t, 16<<20, smallOpts)
	sb := s.sb
	s.Close()
	sb.version = FormatVersion + 1
	overwrite(t, path, 0, sb.encode())
	_, err := Open(path)
	expectErr(t, err, ErrUnsupportedVersion, "Open of version 2")
	for _, want := range []string{path, "format version 2", "supports only version 1", "newer plinth", "nothing on it was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("version error %q does not say %q", err, want)
		}
	}
	_, err = Check(path)
	expectErr(t, err, ErrUnsupportedVersion, "Check of version 2")
	_, err = Format(path, 0, smallOpts)
	if err == nil || !strings.Contains(err.Error(), "already holds a volume store") {
		t.Fatalf("Format over a version-2 store: %v", err)
	}
	// The refusal changed nothing: back at version 1 it opens.
	sb.version = FormatVersion
	overwrite(t, path, 0, sb.encode())
	mustOpen(t, path)
}
