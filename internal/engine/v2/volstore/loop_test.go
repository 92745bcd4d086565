package volstore

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestLoopDevice uses a real block device: Format takes the device's size,
// data survives close and reopen, the device is exclusive while open, and
// the offline check passes.
func TestLoopDevice(t *testing.T) {
	const size = 48 << 20
	dev := testenv.LoopDevice(t, size)
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
