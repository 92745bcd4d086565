// Package qcow2test makes qcow2 images for tests with the real qemu-img:
// ordinary ones holding data, and hostile ones that name another file (a
// backing file or an external data file) or are encrypted. It never lets
// qemu-img write to the file an image names: an external data file is
// created at a scratch name next to the image and the name's bytes are
// then patched (same length) to the target.
package qcow2test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Marker is the text HostFile repeats; finding it in a copy or a download
// means a host file leaked.
const Marker = "PLINTH-HOST-FILE-MUST-NOT-LEAK-"

// QemuImg returns the path of qemu-img or fails the test with how to get it.
func QemuImg(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatalf("qemu-img not found: run `apt-get install qemu-utils` (or ./scripts/test, which installs it)")
	}
	return path
}

// Run runs qemu-img with args in dir and fails the test on error.
func Run(t testing.TB, dir string, args ...string) {
	t.Helper()
	var out []byte
	var err error
	for range 3 {
		cmd := exec.Command(QemuImg(t), args...)
		cmd.Dir = dir
		if out, err = cmd.CombinedOutput(); err == nil || !Flaky(out) {
			break
		}
	}
	if err != nil {
		t.Fatalf("qemu-img %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Flaky reports whether qemu-img's output is its known failure on a busy
// machine: creating a LUKS image, it times PBKDF2 on the CPU to choose an
// iteration count and gives up with "Unable to get accurate CPU usage"
// when the process hardly ran. Trying again is the remedy.
func Flaky(out []byte) bool { return bytes.Contains(out, []byte("Unable to get accurate CPU usage")) }

// HostFile writes a file of size bytes of Marker repeated into dir and
// returns its path and content: the "host file" a hostile image names.
func HostFile(t testing.TB, dir string, size int) (string, []byte) {
	t.Helper()
	content := bytes.Repeat([]byte(Marker), size/len(Marker)+1)[:size]
	path := filepath.Join(dir, "host-secret.bin")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// WithData writes a qcow2 of virtual bytes into dir (as name) converted
// from a raw file with a pattern in every 64 KiB, and returns its path and
// the raw content.
func WithData(t testing.TB, dir, name string, virtual int, opts ...string) (string, []byte) {
	t.Helper()
	raw := make([]byte, virtual)
	for i := 0; i < virtual; i += 64 << 10 {
		for j := i; j < min(i+3000, virtual); j++ {
			raw[j] = byte(j/7%250 + 1)
		}
	}
	rawPath := filepath.Join(dir, name+".src.raw")
	if err := os.WriteFile(rawPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	Run(t, dir, append(append([]string{"convert", "-f", "raw", "-O", "qcow2"}, opts...), rawPath, path)...)
	os.Remove(rawPath)
	return path, raw
}

// NamingDataFile writes into dir a qcow2 whose external data file is
// target, with raw data file layout (guest byte N is byte N of target) and
// a virtual size of virtual bytes: converting it with a plain qemu-img
// convert copies target's bytes. target is never opened; its path must be
// at most 255 bytes.
func NamingDataFile(t testing.TB, dir, target string, virtual int) string {
	t.Helper()
	if len(target) > 255 {
		t.Fatalf("NamingDataFile: target path %q is longer than 255 bytes", target)
	}
	scratch := strings.Repeat("s", len(target)) // relative to dir, same length as target
	path := filepath.Join(dir, "names-data-file.qcow2")
	Run(t, dir, "create", "-q", "-f", "qcow2", "-o", "data_file="+scratch+",data_file_raw=on", path,
		strconv.Itoa(virtual))
	patchName(t, path, scratch, target)
	os.Remove(filepath.Join(dir, scratch))
	return path
}

// NamingBackingFile writes into dir a qcow2 of virtual bytes, nothing
// allocated, whose backing file is target (raw): reading it with plain
// qemu-img reads target. target is never opened (qemu-img create -u).
func NamingBackingFile(t testing.TB, dir, target string, virtual int) string {
	t.Helper()
	path := filepath.Join(dir, "names-backing-file.qcow2")
	Run(t, dir, "create", "-q", "-u", "-f", "qcow2", "-b", target, "-F", "raw", path, strconv.Itoa(virtual))
	return path
}

// Encrypted writes into dir a LUKS-encrypted qcow2 of 1 MiB.
func Encrypted(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "encrypted.qcow2")
	Run(t, dir, "create", "-q", "-f", "qcow2", "--object", "secret,id=s0,data=plinth-test",
		"-o", "encrypt.format=luks,encrypt.key-secret=s0", path, "1M")
	return path
}

// patchName replaces the one occurrence of from in the file's first
// cluster with to (same length).
func patchName(t testing.TB, path, from, to string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := b[:min(len(b), 64<<10)]
	if len(from) != len(to) || bytes.Count(head, []byte(from)) != 1 {
		t.Fatalf("patch %s: %q occurs %d times in the header, want once (and the same length as %q)",
			path, from, bytes.Count(head, []byte(from)), to)
	}
	i := bytes.Index(head, []byte(from))
	copy(b[i:], to)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
