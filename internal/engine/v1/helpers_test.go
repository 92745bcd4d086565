package v1

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
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
	w := newWriter(t, d, id, imagefmt.Limits{})
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(t.Context(), sha512Hex(data)); err != nil {
		t.Fatal(err)
	}
	cfg, err := d.Config(id)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newWriter starts a copy with Create and returns its *Writer.
func newWriter(t *testing.T, d *Disk, id CopyID, limits imagefmt.Limits) *Writer {
	t.Helper()
	f, err := d.Create(t.Context(), id, limits)
	if err != nil {
		t.Fatal(err)
	}
	return f.(*Writer)
}

// storedManifest reads the copy's backing.manifest as stored.
func storedManifest(t *testing.T, d *Disk, id CopyID) *engine.Manifest {
	t.Helper()
	data, err := os.ReadFile(d.ManifestPath(id))
	if err != nil {
		t.Fatal(err)
	}
	var m engine.Manifest
	if err := m.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	return &m
}

// memSource is an engine.Source over bytes (one extent).
type memSource []byte

func (m memSource) ReadAt(p []byte, off int64) (int, error) { return copy(p, m[off:]), nil }
func (m memSource) Size() int64                             { return int64(len(m)) }
func (m memSource) DataExtents(context.Context) ([]engine.Extent, error) {
	return []engine.Extent{{Offset: 0, Length: int64(len(m))}}, nil
}

// manifestOf is the manifest of data, built by the engine package.
func manifestOf(t *testing.T, data []byte) *engine.Manifest {
	t.Helper()
	m, err := engine.Build(t.Context(), memSource(data), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func assertManifest(t *testing.T, got, want *engine.Manifest) {
	t.Helper()
	if got.Size != want.Size || got.Checksum != want.Checksum || !slices.Equal(got.Blocks, want.Blocks) {
		t.Fatalf("manifest of %d bytes (%s, %d data blocks), want %d bytes (%s, %d data blocks)",
			got.Size, got.Checksum, got.DataBlocks(), want.Size, want.Checksum, want.DataBlocks())
	}
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
