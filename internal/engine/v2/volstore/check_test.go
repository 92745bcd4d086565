package volstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damagedStore builds a closed store with two volumes, "a" (clusters at
// logical 0..2) and "b" (logical 0..1), then applies mutate to its
// metadata. It returns the disk path.
func damagedStore(t *testing.T, mutate func(sb *superblock, m *metaState)) string {
	t.Helper()
	s, path := newTestStore(t, 16<<20, smallOpts)
	cs := s.ClusterSize()
	mustWrite(t, mustCreate(t, s, "a", 4*cs, nil), randomBytes(1, int(3*cs)), 0)
	mustWrite(t, mustCreate(t, s, "b", 4*cs, nil), randomBytes(2, int(2*cs)), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewriteMeta(t, path, mutate)
	return path
}

// volumeNamed returns the record of the named volume.
func volumeNamed(m *metaState, name string) *volRecord {
	for i := range m.volumes {
		if m.volumes[i].name == name {
			return &m.volumes[i]
		}
	}
	panic("no volume " + name)
}

// expectDamage checks that Check reports a problem containing want and
// that Open refuses the store.
func expectDamage(t *testing.T, path, want string) *Report {
	t.Helper()
	r, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range r.Problems {
		found = found || strings.Contains(p, want)
	}
	if r.OK() || !found {
		t.Fatalf("Check does not report %q:\n%s", want, r)
	}
	_, err = Open(path)
	expectErr(t, err, ErrDamaged, "Open of a damaged store")
	return r
}

func TestCheckCleanStore(t *testing.T) {
	path := damagedStore(t, func(*superblock, *metaState) {})
	r, err := Check(path)
	if err != nil || !r.OK() || r.Volumes != 2 || r.OwnedClusters != 5 || r.LeakedClusters != 0 ||
		r.FormatVersion != FormatVersion || r.ClusterSize != smallOpts.ClusterSize || len(r.Notes) != 0 {
		t.Fatalf("Check of a clean store: %v\n%s", err, r)
	}
	if !strings.Contains(r.String(), "result: OK") {
		t.Fatalf("report text:\n%s", r)
	}
}

func TestCheckClusterOwnedTwice(t *testing.T) {
	path := damagedStore(t, func(_ *superblock, m *metaState) {
		a, b := volumeNamed(m, "a"), volumeNamed(m, "b")
		b.runs = append(b.runs, run{logical: 3, physical: a.runs[0].physical + 1, count: 1})
	})
	r := expectDamage(t, path, "is owned 2 times")
	if !strings.Contains(r.Problems[0], `volume "a" logical cluster 1`) ||
		!strings.Contains(r.Problems[0], `volume "b" logical cluster 3`) {
		t.Fatalf("problem does not name both owners: %s", r.Problems[0])
	}
}

func TestCheckMapOutOfBounds(t *testing.T) {
	t.Run("beyond the volume", func(t *testing.T) {
		path := damagedStore(t, func(_ *superblock, m *metaState) {
			volumeNamed(m, "b").runs[0].logical = 3 // 2 clusters from logical 3 of 4
		})
		expectDamage(t, path, "beyond its 4 clusters")
	})
	t.Run("beyond the data area", func(t *testing.T) {
		path := damagedStore(t, func(sb *superblock, m *metaState) {
			volumeNamed(m, "b").runs[0].physical = uint32(sb.firstData() + sb.dataClusters - 1)
		})
		expectDamage(t, path, "outside the data area")
	})
	t.Run("in the metadata area", func(t *testing.T) {
		path := damagedStore(t, func(sb *superblock, m *metaState) {
			volumeNamed(m, "b").runs[0].physical = 0
		})
		expectDamage(t, path, "outside the data area")
	})
	t.Run("logical cluster mapped twice", func(t *testing.T) {
		path := damagedStore(t, func(sb *superblock, m *metaState) {
			b := volumeNamed(m, "b")
			free := uint32(sb.firstData() + 100)
			b.runs = append(b.runs, run{logical: 1, physical: free, count: 1})
			m.alloc.set(100)
		})
		expectDamage(t, path, "maps logical cluster 1 twice")
	})
}

func TestCheckOwnedButFreeInAllocationMap(t *testing.T) {
	path := damagedStore(t, func(sb *superblock, m *metaState) {
		m.alloc.clear(uint64(volumeNamed(m, "a").runs[0].physical) - sb.firstData())
	})
	expectDamage(t, path, "free in the allocation map")
}

func TestCheckDuplicateNames(t *testing.T) {
	path := damagedStore(t, func(_ *superblock, m *metaState) {
		volumeNamed(m, "b").name = "a"
	})
	expectDamage(t, path, `two volumes are named "a"`)
}

// TestCheckReportsLeaks marks clusters used that no volume owns: Check
// lists them without calling the store damaged, Open accepts it and treats
// them as free, and the next commit drops them.
func TestCheckReportsLeaks(t *testing.T) {
	path := damagedStore(t, func(_ *superblock, m *metaState) {
		for _, i := range []uint64{50, 51, 52, 90} {
			m.alloc.set(i)
		}
	})
	r, err := Check(path)
	if err != nil || !r.OK() || r.LeakedClusters != 4 || len(r.Leaked) != 2 {
		t.Fatalf("Check: %v\n%s", err, r)
	}
	first := int64(r.FirstCluster)
	if r.Leaked[0] != (ClusterRange{first + 50, 3}) || r.Leaked[1] != (ClusterRange{first + 90, 1}) {
		t.Fatalf("leaked ranges = %v", r.Leaked)
	}
	if !strings.Contains(r.String(), "4 leaked") {
		t.Fatalf("report text:\n%s", r)
	}
	s := mustOpen(t, path)
	maxBytes, avail := s.Capacity()
	if want := maxBytes - 5*s.ClusterSize(); avail != want {
		t.Fatalf("available with leaks = %d, want %d (leaks are free)", avail, want)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if r := mustCheckClosed(t, s); r.LeakedClusters != 0 {
		t.Fatalf("leaks survive a commit:\n%s", r)
	}
}

func TestCheckNotFormatted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blank")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Check(path)
	expectErr(t, err, ErrNotFormatted, "Check of a blank file")
}
