package volstore

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestSparseGiBVolume writes a 1 GiB volume with the default 2 MiB clusters
// as a pattern of random clusters, zero clusters, a small write into a
// hole and a write straddling two clusters, and checks that exactly the
// clusters holding non-zero bytes are allocated and everything reads back.
func TestSparseGiBVolume(t *testing.T) {
	s, path := newTestStore(t, 160<<20, FormatOptions{MaxVolumes: 4})
	cs := s.ClusterSize()
	if cs != 2<<20 {
		t.Fatalf("default cluster size = %d", cs)
	}
	_, avail0 := s.Capacity()
	v := mustCreate(t, s, "gib", 1<<30, nil)
	nclusters := v.Size() / cs
	zeros := make([]byte, cs)
	data := map[int64][]byte{} // logical cluster -> content
	for l := int64(0); l < nclusters; l++ {
		if l%16 == 3 {
			data[l] = randomBytes(uint64(l), int(cs))
			mustWrite(t, v, data[l], l*cs)
		} else {
			mustWrite(t, v, zeros, l*cs)
		}
	}
	small := randomBytes(7, 4096) // into hole cluster 101
	mustWrite(t, v, small, 101*cs+8192)
	straddle := randomBytes(8, 8192) // clusters 200 and 201, both holes
	mustWrite(t, v, straddle, 201*cs-4096)
	want := int64(len(data) + 3)

	if got := v.AllocatedBytes(); got != want*cs {
		t.Fatalf("allocated %d clusters, want %d", got/cs, want)
	}
	expectAvailable(t, s, avail0-want*cs, "after the pattern")
	ext := v.AllocatedExtents()
	if len(ext) != int(want)-1 || ext[0] != (Extent{3 * cs, cs}) || !slices.Contains(ext, Extent{200 * cs, 2 * cs}) {
		t.Fatalf("AllocatedExtents = %v", ext)
	}
	check := func(when string) {
		buf := make([]byte, cs)
		for l := int64(0); l < nclusters; l++ {
			if _, err := v.ReadAt(buf, l*cs); err != nil {
				t.Fatal(err)
			}
			exp := data[l]
			if exp == nil {
				exp = zeros
			}
			switch l {
			case 101:
				exp = slices.Clone(zeros)
				copy(exp[8192:], small)
			case 200:
				exp = slices.Clone(zeros)
				copy(exp[cs-4096:], straddle[:4096])
			case 201:
				exp = slices.Clone(zeros)
				copy(exp, straddle[4096:])
			}
			if !bytes.Equal(buf, exp) {
				t.Fatalf("%s: cluster %d differs", when, l)
			}
		}
	}
	check("before reopen")
	s.Close()
	s = mustOpen(t, path)
	v, _ = s.Get("gib")
	check("after reopen")
	expectAvailable(t, s, avail0-want*cs, "after reopen")
}

func TestDeleteRestoresAvailableExactly(t *testing.T) {
	s, _ := newTestStore(t, 32<<20, smallOpts)
	cs := s.ClusterSize()
	_, avail0 := s.Capacity()
	keep := mustCreate(t, s, "keep", 10*cs, nil)
	mustWrite(t, keep, randomBytes(1, int(3*cs)), cs)
	_, avail1 := s.Capacity()
	v := mustCreate(t, s, "gone", 20*cs, nil)
	mustWrite(t, v, randomBytes(2, int(5*cs)), 0)
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, v, []byte("copy-on-write"), 10) // leaves a pending-free cluster
	mustWrite(t, v, randomBytes(3, 100), 15*cs)  // fresh, unsynced
	expectAvailable(t, s, avail1-7*cs, "before delete")
	if err := s.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, s, avail1, "after delete")
	if err := s.Delete("keep"); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, s, avail0, "after deleting everything")
	report := mustCheckClosed(t, s)
	if report.OwnedClusters != 0 || len(report.Leaked) != 0 {
		t.Fatalf("after deleting everything: %s", report)
	}
}

// mustCheckClosed closes s and checks its disk, failing on problems.
func mustCheckClosed(t testing.TB, s *Store) *Report {
	t.Helper()
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("Check found problems:\n%s", r)
	}
	return r
}

func TestZeroWritesFreeClusters(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, smallOpts)
	cs := s.ClusterSize()
	_, avail0 := s.Capacity()
	v := mustCreate(t, s, "z", 4*cs+100, nil)
	mustWrite(t, v, randomBytes(1, int(4*cs+100)), 0)
	expectAvailable(t, s, avail0-5*cs, "after filling")
	mustWrite(t, v, make([]byte, cs), cs)    // a whole fresh cluster
	mustWrite(t, v, make([]byte, 100), 4*cs) // the partial last cluster, whole for the volume
	expectAvailable(t, s, avail0-3*cs, "after zeroing two clusters")
	mustWrite(t, v, make([]byte, cs/2), 2*cs+cs/2) // cluster 2 keeps data in its first half only
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	// Zeroing the first half of committed cluster 2 would copy it; the copy
	// is all zeros, so the cluster is freed instead. Zeroing all of
	// committed cluster 3 frees it directly.
	mustWrite(t, v, make([]byte, cs/2), 2*cs)
	mustWrite(t, v, make([]byte, cs), 3*cs)
	expectAvailable(t, s, avail0-3*cs, "freed committed clusters wait for the commit")
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, s, avail0-cs, "after zeroing committed clusters")
	if ext := v.AllocatedExtents(); !slices.Equal(ext, []Extent{{0, cs}}) {
		t.Fatalf("AllocatedExtents = %v", ext)
	}
}

func TestCopyOnWriteAfterSync(t *testing.T) {
	s, _ := newTestStore(t, 16<<20, smallOpts)
	cs := s.ClusterSize()
	_, avail0 := s.Capacity()
	v := mustCreate(t, s, "cow", 2*cs, nil)
	orig := randomBytes(1, int(2*cs))
	mustWrite(t, v, orig, 0)
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, v, []byte("patch"), 7)
	mustWrite(t, v, []byte("again"), 70) // same new cluster: written in place
	expectAvailable(t, s, avail0-3*cs, "old cluster pending free until the commit")
	if err := v.Sync(); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, s, avail0-2*cs, "after the commit")
	want := slices.Clone(orig)
	copy(want[7:], "patch")
	copy(want[70:], "again")
	expectContent(t, v, want)
}

func TestWriteFailsWhenFull(t *testing.T) {
	s, _ := newTestStore(t, 4<<20, smallOpts)
	maxBytes, _ := s.Capacity()
	v := mustCreate(t, s, "big", maxBytes+s.ClusterSize(), nil) // thin overcommit is allowed
	data := randomBytes(1, int(maxBytes+s.ClusterSize()))
	n, err := v.WriteAt(data, 0)
	expectErr(t, err, ErrNoSpace, "write beyond capacity")
	if int64(n) != maxBytes {
		t.Fatalf("wrote %d bytes before running out, want %d", n, maxBytes)
	}
	expectAvailable(t, s, 0, "when full")
	if err := s.Delete("big"); err != nil {
		t.Fatal(err)
	}
	expectAvailable(t, s, maxBytes, "after delete")
}

// TestConcurrentVolumes writes several volumes from their own goroutines
// while another keeps committing, then verifies contents and the disk.
func TestConcurrentVolumes(t *testing.T) {
	s, path := newTestStore(t, 64<<20, smallOpts)
	cs := s.ClusterSize()
	const nvol, size = 4, 48 << 16
	want := make([][]byte, nvol)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, nvol+1)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				if err := s.Sync(); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	for i := 0; i < nvol; i++ {
		v := mustCreate(t, s, fmt.Sprintf("vol-%d", i), size, nil)
		want[i] = randomBytes(uint64(i), size)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Write each cluster twice, in odd pieces, so writes race with
			// commits on fresh and committed clusters.
			for pass := 0; pass < 2; pass++ {
				for off := int64(0); off < size; off += cs / 3 {
					end := min(off+cs/3, size)
					if _, err := v.WriteAt(want[i][off:end], off); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	for i, v := range s.List() {
		expectContent(t, v, want[i])
	}
	mustCheckClosed(t, s)
	s = mustOpen(t, path)
	for i, v := range s.List() {
		expectContent(t, v, want[i])
	}
}
