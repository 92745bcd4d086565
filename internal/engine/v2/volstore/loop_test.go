package volstore

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// attachLoop attaches a sparse file of size bytes to a free loop device and
// detaches it in cleanup. It fails the test, with the reason, if loop
// devices cannot be used here.
func attachLoop(t *testing.T, size int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "loop.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup --find --show %s failed (%v: %s): testing block disks needs loop devices; "+
			"run the tests as root with util-linux installed (apt-get install util-linux) on a kernel with the loop driver",
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

// TestLoopDevice uses a real block device: Format takes the device's size,
// data survives close and reopen, the device is exclusive while open, and
// the offline check passes.
func TestLoopDevice(t *testing.T) {
	const size = 48 << 20
	dev := attachLoop(t, size)
	_, err := Format(dev, size+1, smallOpts)
	expectErr(t, err, ErrInvalid, "Format of a block device with the wrong size")
	s, err := Format(dev, 0, smallOpts)
	if err != nil {
		t.Fatalf("Format(%s): %v", dev, err)
	}
	t.Cleanup(func() { closeQuietly(s) })
	if s.sb.deviceSize != size {
		t.Fatalf("store on %s sized %d, device is %d", dev, s.sb.deviceSize, size)
	}
	_, err = Open(dev)
	expectErr(t, err, ErrInUse, "second Open of the device")

	cs := s.ClusterSize()
	v := mustCreate(t, s, "on-block", 10*cs+512, map[string]string{AttrState: "ready"})
	data := make([]byte, v.Size())
	copy(data[cs:], randomBytes(1, int(4*cs)))
	copy(data[9*cs:], randomBytes(2, int(cs+512)))
	mustWrite(t, v, data, 0)
	if err := s.SetReadOnly("on-block", true); err != nil {
		t.Fatal(err)
	}
	_, avail := s.Capacity()
	if r := mustCheckClosed(t, s); r.OwnedClusters != 6 {
		t.Fatalf("Check of %s:\n%s", dev, r)
	}

	s = mustOpen(t, dev)
	v, err = s.Get("on-block")
	if err != nil {
		t.Fatal(err)
	}
	expectContent(t, v, data)
	expectAvailable(t, s, avail, "after reopen")
	if ext := v.AllocatedExtents(); len(ext) != 2 || ext[0] != (Extent{cs, 4 * cs}) || ext[1] != (Extent{9 * cs, cs + 512}) {
		t.Fatalf("AllocatedExtents = %v", ext)
	}
}
