package imagefmt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// qemuImg returns the path of qemu-img or fails the test with how to get it.
func qemuImg(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatalf("qemu-img not found: run `apt-get install qemu-utils` (or ./scripts/test, which installs it)")
	}
	return path
}

func detectFile(t *testing.T, path string) Info {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	info, err := DetectReader(f, st.Size())
	if err != nil {
		t.Fatalf("DetectReader(%s): %v", path, err)
	}
	return info
}

func TestDetectRealQcow2(t *testing.T) {
	bin := qemuImg(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.qcow2")
	if out, err := exec.Command(bin, "create", "-f", "qcow2", path, "1G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	info := detectFile(t, path)
	if info.Format != Qcow2 || info.VirtualSize != 1<<30 || info.HasBackingFile {
		t.Fatalf("got %+v, want qcow2 of 1 GiB without backing file", info)
	}

	overlay := filepath.Join(dir, "overlay.qcow2")
	cmd := exec.Command(bin, "create", "-f", "qcow2", "-b", path, "-F", "qcow2", overlay)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create overlay: %v: %s", err, out)
	}
	if info := detectFile(t, overlay); !info.HasBackingFile || info.VirtualSize != 1<<30 {
		t.Fatalf("overlay: got %+v, want a backing file and 1 GiB", info)
	}
}

func TestDetectRaw(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.raw")
	if err := os.WriteFile(path, []byte("not an image, just bytes that are long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if info := detectFile(t, path); info.Format != Raw || info.VirtualSize != 45 {
		t.Fatalf("got %+v, want raw of 45 bytes", info)
	}
	empty, err := Detect(nil, 0)
	if err != nil || empty.Format != Raw || empty.VirtualSize != 0 {
		t.Fatalf("empty: got %+v, %v", empty, err)
	}
}

func TestDetectCorruptQcow2(t *testing.T) {
	short := []byte{'Q', 'F', 'I', 0xfb, 0, 0, 0, 3}
	if _, err := Detect(short, 8); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short header: got %v, want ErrCorrupt", err)
	}
	bad := make([]byte, HeaderSize)
	copy(bad, short)
	bad[7] = 9
	if _, err := Detect(bad, 1<<20); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("version 9: got %v, want ErrCorrupt", err)
	}
}
