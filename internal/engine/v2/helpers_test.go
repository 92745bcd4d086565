package v2

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine/v2/volstore"
)

// cs is the default cluster size every test disk uses.
const cs = volstore.DefaultClusterSize

// testDisk opens a fresh disk on a sparse file of size bytes in a temp
// folder and closes it in cleanup (unless the test already did).
func testDisk(t *testing.T, size int64) (*Disk, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "block.img")
	return mustOpenDisk(t, path, size), path
}

// mustOpenDisk opens (formatting if needed) the disk at path, staging in
// stageDirOf(path).
func mustOpenDisk(t *testing.T, path string, size int64) *Disk {
	t.Helper()
	d, err := OpenDisk(path, size, stageDirOf(path))
	if err != nil {
		t.Fatalf("OpenDisk(%s): %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// stageDirOf is the staging directory tests use for the disk at path: a
// folder next to it, so a reopened disk finds its staged files again.
func stageDirOf(path string) string { return filepath.Join(filepath.Dir(path), "staging") }

// available is the disk's free bytes.
func available(t *testing.T, d *Disk) int64 {
	t.Helper()
	_, avail, err := d.Capacity()
	if err != nil {
		t.Fatal(err)
	}
	return avail
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// piece is data to place at an offset of a test image.
type piece struct {
	off  int64
	data []byte
}

// writeImage writes a sparse file of size bytes holding pieces (written
// bytes; zero pieces become written zeros, not holes) and returns its
// whole content.
func writeImage(t *testing.T, path string, size int64, pieces ...piece) []byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	content := make([]byte, size)
	for _, p := range pieces {
		if _, err := f.WriteAt(p.data, p.off); err != nil {
			t.Fatal(err)
		}
		copy(content[p.off:], p.data)
	}
	return content
}

// readAll reads the ready copy id through Open's reader, using Read (the
// http.ServeContent path) after a Seek.
func readAll(t *testing.T, d *Disk, id CopyID) []byte {
	t.Helper()
	r, err := d.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read copy %s: %v", id, err)
	}
	return got
}

func expectContent(t *testing.T, d *Disk, id CopyID, want []byte) {
	t.Helper()
	if got := readAll(t, d, id); !bytes.Equal(got, want) {
		t.Fatalf("copy %s reads %d bytes that differ from the %d expected", id, len(got), len(want))
	}
}

func expectErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func expectAvailable(t *testing.T, d *Disk, want int64, when string) {
	t.Helper()
	if got := available(t, d); got != want {
		t.Fatalf("%s: available %d bytes (%d clusters), want %d (%d clusters)", when, got, got/cs, want, want/cs)
	}
}

// checkClean closes d and runs the offline check: no problems, no leaks.
func checkClean(t *testing.T, d *Disk) *volstore.Report {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := volstore.Check(d.Path())
	if err != nil {
		t.Fatalf("Check(%s): %v", d.Path(), err)
	}
	if !r.OK() || r.LeakedClusters != 0 {
		t.Fatalf("Check(%s) found problems or leaks:\n%s", d.Path(), r)
	}
	return r
}

// tool returns the path of a program the test needs, failing with how to
// install it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install qemu-utils (apt-get install qemu-utils), or run ./scripts/test, which installs it", name)
	}
	return p
}

// run runs a program and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(tool(t, name), args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}
