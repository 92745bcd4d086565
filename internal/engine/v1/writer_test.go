package v1

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

var testID = CopyID{Name: "img", UUID: "0b9e2f6c-1d3a-4c5b-9e8f-7a6b5c4d3e2f"}

func TestWriterCommitsLonghornLayout(t *testing.T) {
	d := testDisk(t)
	data := randomBytes(1, 3*bufferSize+12345) // not a multiple of 512 or 4096
	w := newWriter(t, d, testID, imagefmt.Limits{})
	// Mixed write sizes: small odd writes, then one large write.
	rest := data
	for _, n := range []int{1, 1000, 4095, 70000} {
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if _, err := w.Write(rest); err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(len(data)) {
		t.Fatalf("Written() = %d, want %d", w.Written(), len(data))
	}
	rec, err := w.Commit(t.Context(), strings.ToUpper(sha512Hex(data)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := d.Config(testID)
	if err != nil {
		t.Fatal(err)
	}
	if rec != cfg.record() || rec.ID != testID {
		t.Fatalf("Commit returned %+v, the cfg says %+v", rec, cfg.record())
	}
	// The manifest was computed while the bytes arrived.
	assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
	assertFileContent(t, d.BackingPath(testID), data)
	assertMissing(t, filepath.Join(d.CopyDir(testID), TempName))
	onDisk, err := readConfig(d.CopyDir(testID))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Name: d.BackingPath(testID), UUID: testID.UUID, Size: int64(len(data)), VirtualSize: int64(len(data)),
		RealSize: cfg.RealSize, ExpectedChecksum: sha512Hex(data), CurrentChecksum: sha512Hex(data),
		ModificationTime: cfg.ModificationTime, BackingImage: "img", Format: imagefmt.Raw,
	}
	if onDisk != want || cfg != want {
		t.Fatalf("cfg\n got %+v\nfile %+v\nwant %+v", cfg, onDisk, want)
	}
	if cfg.RealSize < int64(len(data))/2 || cfg.ModificationTime == "" {
		t.Fatalf("realSize %d / mtime %q not recorded", cfg.RealSize, cfg.ModificationTime)
	}
	if _, err := d.Create(t.Context(), testID, imagefmt.Limits{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: got %v, want ErrExists", err)
	}
}

func TestWriterChecksumMismatchRemovesTemp(t *testing.T) {
	d := testDisk(t)
	w := newWriter(t, d, testID, imagefmt.Limits{})
	data := []byte("some image bytes")
	w.Write(data)
	wrong := sha512Hex([]byte("other bytes"))
	_, err := w.Commit(t.Context(), wrong)
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("got %v, want ErrChecksumMismatch", err)
	}
	if !strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), sha512Hex(data)) {
		t.Fatalf("message does not name both checksums: %v", err)
	}
	assertMissing(t, d.CopyDir(testID))
}

// zeroishReader yields size bytes that are zero except for data islands:
// 1 MiB of random bytes at 0, and 4 KiB every 64 MiB.
type zeroishReader struct {
	off, size int64
}

func (z *zeroishReader) Read(p []byte) (int, error) {
	if z.off >= z.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.size-z.off, 64<<10))
	clear(p[:n])
	for i := 0; i < n; i++ {
		at := z.off + int64(i)
		if at < 1<<20 || at%(64<<20) < 4096 {
			p[i] = byte(at*7 + 1)
		}
	}
	z.off += int64(n)
	return n, nil
}

func TestWriterSparse256MiBTakesLittleSpace(t *testing.T) {
	d := testDisk(t)
	const size = 256 << 20
	h := sha512Hash()
	if _, err := io.Copy(h, &zeroishReader{size: size}); err != nil {
		t.Fatal(err)
	}
	want := hexSum(h)
	w := newWriter(t, d, testID, imagefmt.Limits{})
	if _, err := w.ReadFrom(&zeroishReader{size: size}); err != nil {
		t.Fatal(err)
	}
	cfg, err := w.Commit(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	real := allocated(t, d.BackingPath(testID))
	if cfg.Size != size || real > 4<<20 {
		t.Fatalf("size %d (want %d), allocated %d bytes (want under 4 MiB)", cfg.Size, size, real)
	}
	got, err := d.Verify(t.Context(), testID, engine.VerifyOptions{})
	if err != nil || got.Checksum != want {
		t.Fatalf("Verify: %v", err)
	}
}

func TestWriterTrailingZerosSetSize(t *testing.T) {
	d := testDisk(t)
	data := append([]byte("head"), make([]byte, 3*holeBlock+10)...)
	cfg := writeCopy(t, d, testID, data)
	if cfg.Size != int64(len(data)) {
		t.Fatalf("size %d, want %d", cfg.Size, len(data))
	}
	assertFileContent(t, d.BackingPath(testID), data)
}

func TestWriterResetStartsOver(t *testing.T) {
	d := testDisk(t)
	w := newWriter(t, d, testID, imagefmt.Limits{})
	w.Write(randomBytes(2, 2*bufferSize+7))
	if err := w.Reset(); err != nil {
		t.Fatal(err)
	}
	if w.Written() != 0 {
		t.Fatalf("Written() after Reset = %d", w.Written())
	}
	data := randomBytes(3, 5000)
	w.Write(data)
	if _, err := w.Commit(t.Context(), sha512Hex(data)); err != nil {
		t.Fatal(err)
	}
	assertFileContent(t, d.BackingPath(testID), data)
	assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
}

func TestWriterBusyAndAbort(t *testing.T) {
	d := testDisk(t)
	w := newWriter(t, d, testID, imagefmt.Limits{})
	if _, err := d.Create(t.Context(), testID, imagefmt.Limits{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("concurrent Create: got %v, want ErrBusy", err)
	}
	w.Write([]byte("partial"))
	w.Abort()
	assertMissing(t, d.CopyDir(testID))
	if _, err := w.Commit(t.Context(), ""); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if _, err := w.Write(make([]byte, 3*bufferSize)); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
}

func TestWriterDetectsQcow2(t *testing.T) {
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatalf("qemu-img not found: run `apt-get install qemu-utils` (or ./scripts/test, which installs it)")
	}
	path := filepath.Join(t.TempDir(), "x.qcow2")
	if out, err := exec.Command(bin, "create", "-f", "qcow2", path, "1G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeCopy(t, testDisk(t), testID, data)
	if cfg.Format != imagefmt.Qcow2 || cfg.VirtualSize != 1<<30 || cfg.Size != int64(len(data)) {
		t.Fatalf("got format %s virtual %d size %d, want qcow2, 1 GiB, %d", cfg.Format, cfg.VirtualSize, cfg.Size, len(data))
	}
	if bytes.Equal(data[:4], []byte("QFI\xfb")) == false {
		t.Fatal("qemu-img wrote no qcow2 magic")
	}
}
