package v1

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
)

// testDisk opens a fresh disk in a temp folder.
func testDisk(t *testing.T) *Disk {
	t.Helper()
	d, err := OpenDisk(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return d
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

// writeCopy makes a ready copy with content data and returns its cfg.
func writeCopy(t *testing.T, d *Disk, id CopyID, data []byte) Config {
	t.Helper()
	w, err := d.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	cfg, err := w.Commit(sha512Hex(data))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// allocated is the file's allocated size (st_blocks*512).
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func assertFileContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: content differs (%d bytes, want %d)", path, len(got), len(want))
	}
}

func assertMissing(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s should not exist (stat: %v)", path, err)
	}
}

func sha512Hash() hash.Hash { return sha512.New() }

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
