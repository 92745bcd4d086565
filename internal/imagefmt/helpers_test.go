package imagefmt

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// readTestdata returns a committed seed image (see testdata/make-seeds.sh).
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runQemuImg runs qemu-img with args and fails the test on error.
func runQemuImg(t *testing.T, args ...string) {
	t.Helper()
	var out []byte
	var err error
	for range 3 { // qemu-img's LUKS PBKDF2 timing fails now and then on a busy machine
		if out, err = exec.Command(qemuImg(t), args...).CombinedOutput(); err == nil ||
			!bytes.Contains(out, []byte("Unable to get accurate CPU usage")) {
			break
		}
	}
	if err != nil {
		t.Fatalf("qemu-img %v: %v: %s", args, err, out)
	}
}

// patternFile writes size bytes of a non-zero pattern (with some zero
// ranges) to a new file in dir and returns its path.
func patternFile(t *testing.T, dir string, size int) string {
	t.Helper()
	b := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		for j := i; j < min(i+1500, size); j++ {
			b[j] = byte(j%251 + 1)
		}
	}
	path := filepath.Join(dir, "pattern.raw")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkBytes runs Check over an image held in memory.
func checkBytes(b []byte, limits Limits) (Info, error) {
	return Check(bytes.NewReader(b), int64(len(b)), limits)
}

// checkPath runs Check over a file.
func checkPath(t *testing.T, path string, limits Limits) (Info, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return checkBytes(b, limits)
}

// patched returns a copy of b with v written big-endian at off (v's type
// sets the width: uint8, uint32 or uint64).
func patched(b []byte, off int, v any) []byte {
	out := bytes.Clone(b)
	switch v := v.(type) {
	case uint8:
		out[off] = v
	case uint32:
		binary.BigEndian.PutUint32(out[off:], v)
	case uint64:
		binary.BigEndian.PutUint64(out[off:], v)
	default:
		panic("patched: unsupported type")
	}
	return out
}
