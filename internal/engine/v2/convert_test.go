package v2

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/imagefmt/qcow2test"
)

// TestConvertOpensNothingButTheImage calls convertToRaw directly (the Go
// check bypassed) on images that name a host file with known content: no
// byte of that file may reach the output, and the data file case fails.
func TestConvertOpensNothingButTheImage(t *testing.T) {
	dir := t.TempDir()
	host, secret := qcow2test.HostFile(t, dir, 200<<10)
	marker := []byte(qcow2test.Marker)

	img := qcow2test.NamingDataFile(t, t.TempDir(), host, 256<<10)
	raw := filepath.Join(t.TempDir(), "out.raw.tmp")
	err := convertToRaw(ctx, img, raw, 256<<10)
	if err == nil {
		data, _ := os.ReadFile(raw)
		os.Remove(raw)
		t.Fatalf("converting an image naming an external data file succeeded (host bytes leaked: %v)",
			bytes.Contains(data, marker))
	}
	if !errors.Is(err, imagefmt.ErrRefused) || !strings.Contains(err.Error(), "external data file") {
		t.Fatalf("got %v, want a refusal naming the external data file", err)
	}
	expectNoTemp(t, filepath.Dir(raw))

	img = qcow2test.NamingBackingFile(t, t.TempDir(), host, len(secret))
	err = convertToRaw(ctx, img, raw, int64(len(secret)))
	if err == nil {
		defer os.Remove(raw)
		data, rerr := os.ReadFile(raw)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if bytes.Contains(data, marker) {
			t.Fatal("converting an image naming a backing file copied the backing file's bytes")
		}
	}

	ok, content := qcow2test.WithData(t, t.TempDir(), "ok.qcow2", 1<<20)
	err = convertToRaw(ctx, ok, raw, 1<<20)
	if err != nil {
		t.Fatalf("an ordinary qcow2: %v", err)
	}
	defer os.Remove(raw)
	if data, _ := os.ReadFile(raw); !bytes.Equal(data, content) {
		t.Fatal("an ordinary qcow2 converted to other content")
	}
}

// expectNoTemp fails if a convert temp file is left in dir.
func expectNoTemp(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) > 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

// TestImportRefusesUnsafeQcow2 imports hostile and broken qcow2 images:
// each fails with the reason before qemu-img runs, and nothing is left on
// the disk.
func TestImportRefusesUnsafeQcow2(t *testing.T) {
	d, _ := testDisk(t, 64<<20)
	before := available(t, d)
	dir := t.TempDir()
	host, _ := qcow2test.HostFile(t, dir, 100<<10)
	full, _ := qcow2test.WithData(t, t.TempDir(), "full.qcow2", 4<<20)
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.qcow2")
	if err := os.WriteFile(truncated, b[:64<<10], 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		qcow2test.NamingDataFile(t, t.TempDir(), host, 128<<10):    "external data file (\"" + host + "\")",
		qcow2test.NamingBackingFile(t, t.TempDir(), host, 128<<10): "backing file (\"" + host + "\")",
		qcow2test.Encrypted(t, t.TempDir()):                        "encrypted",
		truncated:                                                  "outside the file",
	}
	for src, want := range cases {
		_, err := d.Import(ctx, CopyID{Name: "bad", UUID: "u"}, src, "", imagefmt.Limits{}, nil)
		if !errors.Is(err, imagefmt.ErrRefused) || !strings.Contains(err.Error(), want) {
			t.Errorf("import %s: got %v, want a refusal saying %q", filepath.Base(src), err, want)
		}
		expectNoTemp(t, d.stageDir)
	}
	_, err = d.Import(ctx, CopyID{Name: "big", UUID: "u"}, full, "", imagefmt.Limits{MaxVirtualSize: 1 << 20}, nil)
	if !errors.Is(err, imagefmt.ErrRefused) || !strings.Contains(err.Error(), "virtual size") {
		t.Errorf("import over the size limit: got %v", err)
	}
	expectAvailable(t, d, before, "after the refused imports")
	if len(d.ListCopies()) != 0 {
		t.Fatalf("copies left: %+v", d.ListCopies())
	}
}

// TestRandomWriterRefusesUnsafeQcow2 restores a hostile qcow2 by
// positioned writes: Commit refuses it with the reason (not
// ErrQcow2Content, which would send it on to Import) and deletes it.
func TestRandomWriterRefusesUnsafeQcow2(t *testing.T) {
	d, _ := testDisk(t, 64<<20)
	host, _ := qcow2test.HostFile(t, t.TempDir(), 100<<10)
	b, err := os.ReadFile(qcow2test.NamingDataFile(t, t.TempDir(), host, 128<<10))
	if err != nil {
		t.Fatal(err)
	}
	w, err := d.CreateRandom(CopyID{Name: "restored", UUID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Prepare(int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	_, err = w.Commit(ctx, sha512Hex(b), nil)
	if !errors.Is(err, imagefmt.ErrRefused) || errors.Is(err, ErrQcow2Content) ||
		!strings.Contains(err.Error(), "external data file") {
		t.Fatalf("got %v, want a refusal naming the external data file", err)
	}
	if len(d.ListCopies()) != 0 {
		t.Fatalf("copies left: %+v", d.ListCopies())
	}
}
