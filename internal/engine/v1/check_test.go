package v1

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/imagefmt/qcow2test"
)

// TestCommitRefusesUnsafeQcow2 fills copies with hostile or broken qcow2
// images, sequentially and by positioned writes: each Commit fails with
// the reason, and no copy (nor its temp file) is left.
func TestCommitRefusesUnsafeQcow2(t *testing.T) {
	dir := t.TempDir()
	host, _ := qcow2test.HostFile(t, dir, 64<<10)
	full, _ := qcow2test.WithData(t, t.TempDir(), "ok.qcow2", 2<<20)
	huge := filepath.Join(dir, "huge.qcow2")
	qcow2test.Run(t, dir, "create", "-q", "-f", "qcow2", huge, "1P")
	cases := map[string]string{
		qcow2test.NamingDataFile(t, t.TempDir(), host, 128<<10):    "external data file",
		qcow2test.NamingBackingFile(t, t.TempDir(), host, 128<<10): "backing file (\"" + host + "\")",
		qcow2test.Encrypted(t, t.TempDir()):                        "encrypted",
		huge:                                                       "virtual size",
	}
	d := testDisk(t)
	for src, want := range cases {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		w := newWriter(t, d, testID, imagefmt.Limits{})
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		_, err = w.Commit(t.Context(), "")
		expectRefused(t, d, err, "Writer "+filepath.Base(src), want)

		_, err = d.Restore(t.Context(), testID, &memBackup{data: b, checksum: sha512Hex(b)}, imagefmt.Limits{}, nil)
		expectRefused(t, d, err, "Restore "+filepath.Base(src), want)
	}

	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, d, testID, imagefmt.Limits{MaxVirtualSize: 1 << 20})
	w.Write(b)
	_, err = w.Commit(t.Context(), "")
	expectRefused(t, d, err, "Writer over the limit", "backing-image-max-size-gib")
	w = newWriter(t, d, testID, imagefmt.Limits{})
	w.Write(b)
	if rec, err := w.Commit(t.Context(), ""); err != nil || rec.Format != imagefmt.Qcow2 || rec.VirtualSize != 2<<20 {
		t.Fatalf("an ordinary qcow2: got %+v, %v", rec, err)
	}
}

func expectRefused(t *testing.T, d *Disk, err error, what, want string) {
	t.Helper()
	if !errors.Is(err, imagefmt.ErrRefused) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: got %v, want a refusal saying %q", what, err, want)
	}
	if _, serr := os.Stat(d.CopyDir(testID)); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("%s: the copy's folder is left (%v)", what, serr)
	}
}
