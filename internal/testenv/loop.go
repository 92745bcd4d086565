package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// LoopDevice attaches a new sparse file of size bytes to a free loop
// device and returns the device's path; the device is detached when the
// test ends. It needs root and util-linux's losetup, and fails the test
// saying so otherwise.
func LoopDevice(t testing.TB, size int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "loop.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup --find --show %s failed (%v: %s): block disk tests need loop devices; run them as root "+
			"with util-linux installed (apt-get install util-linux) on a kernel with the loop driver",
			img, err, strings.TrimSpace(string(out)))
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})
	return dev
}
