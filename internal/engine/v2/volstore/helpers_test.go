package volstore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// smallOpts keeps test stores small: 64 KiB clusters, 8 volumes.
var smallOpts = FormatOptions{ClusterSize: 64 << 10, MaxVolumes: 8}

// newTestStore formats a sparse file of size bytes in a temp dir and closes
// the store in cleanup (unless the test already did).
func newTestStore(t testing.TB, size int64, opts FormatOptions) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	s, err := Format(path, size, opts)
	if err != nil {
		t.Fatalf("Format(%s, %d): %v", path, size, err)
	}
	t.Cleanup(func() { closeQuietly(s) })
	return s, path
}

// closeQuietly closes s if the test has not closed (or crashed) it.
func closeQuietly(s *Store) {
	if !s.closed.Load() {
		s.Close()
	}
}

// crash abandons s the way a killed process would: the descriptor is
// closed and nothing is committed.
func crash(s *Store) {
	s.closed.Store(true)
	s.dev.f.Close()
}

// mustOpen opens path or fails the test.
func mustOpen(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { closeQuietly(s) })
	return s
}

// mustCreate creates a volume or fails the test.
func mustCreate(t testing.TB, s *Store, name string, size int64, attrs map[string]string) *Volume {
	t.Helper()
	v, err := s.Create(name, size, attrs)
	if err != nil {
		t.Fatalf("Create(%q, %d): %v", name, size, err)
	}
	return v
}

// mustWrite writes p at off or fails the test.
func mustWrite(t testing.TB, v *Volume, p []byte, off int64) {
	t.Helper()
	if n, err := v.WriteAt(p, off); err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(p), off, n, err)
	}
}

// expectContent reads the whole volume and compares it with want.
func expectContent(t testing.TB, v *Volume, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if n, err := v.ReadAt(got, 0); err != nil || n != len(want) {
		t.Fatalf("ReadAt(all of %q) = %d, %v", v.Name(), n, err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Fatalf("volume %q differs from what was written, first at byte %d", v.Name(), i)
	}
}

// randomBytes returns n pseudo-random bytes from seed (never all zero).
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64() | 1
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32() | 1)
	}
	return b
}

// rewriteMeta writes a new metadata generation for the store at path with
// mutate applied to the current state, bypassing every check: the way to
// build a damaged store.
func rewriteMeta(t testing.TB, path string, mutate func(sb *superblock, m *metaState)) {
	t.Helper()
	dev, err := openDevice(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.close()
	in, err := inspect(dev)
	if err != nil || !in.report.OK() {
		t.Fatalf("inspect before rewrite: %v %v", err, in.report)
	}
	mutate(&in.sb, in.state)
	if err := writeCopy(dev.f, &in.sb, 1-in.area, in.report.Generation+1, encodeMeta(in.state)); err != nil {
		t.Fatal(err)
	}
	if err := dev.f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// overwrite writes b at off of the file at path.
func overwrite(t testing.TB, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// expectErr fails unless errors.Is(err, want).
func expectErr(t testing.TB, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, want)
	}
}

// expectAvailable compares the store's available bytes with want.
func expectAvailable(t testing.TB, s *Store, want int64, when string) {
	t.Helper()
	if _, got := s.Capacity(); got != want {
		t.Fatalf("%s: available = %d bytes (%d clusters), want %d (%d clusters)",
			when, got, got/s.cs, want, want/s.cs)
	}
}
