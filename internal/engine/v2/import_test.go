package v2

import (
	"context"
	"github.com/plinth-storage/plinth/internal/engine"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/imagefmt"
)

var ctx = context.Background()

// TestImportRawSparse imports a 128 MiB raw image that is 95% zeros (holes
// and written zeros): under 10% of its clusters are allocated, exactly the
// clusters with data, and the copy reads back, verifies and is read-only.
func TestImportRawSparse(t *testing.T) {
	d, _ := testDisk(t, 512<<20)
	before := available(t, d)
	const size = 128 << 20
	src := filepath.Join(t.TempDir(), "image.raw")
	content := writeImage(t, src, size,
		piece{0, randomBytes(1, 1<<20)},                  // cluster 0
		piece{20 << 20, make([]byte, 8<<20)},             // written zeros: clusters 10-13, never allocated
		piece{40<<20 + 4096, randomBytes(2, 2<<20-8192)}, // cluster 20
		piece{100<<20 + 512<<10, randomBytes(3, 3<<20)},  // clusters 50-51
		piece{size - 4096, randomBytes(4, 4096)})         // cluster 63
	want := sha512Hex(content)
	id := CopyID{Name: "sparse", UUID: "uuid-sparse"}
	var last int64
	cfg, err := d.Import(ctx, id, src, want, imagefmt.Limits{}, func(done int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentChecksum != want || cfg.ExpectedChecksum != want || cfg.Size != size || cfg.VirtualSize != size ||
		cfg.Format != imagefmt.Raw || cfg.SourceFormat != imagefmt.Raw || cfg.State != StateReady || cfg.DiskUUID != d.UUID() {
		t.Fatalf("config %+v", cfg)
	}
	if last != size {
		t.Fatalf("progress ended at %d, want %d", last, size)
	}
	const wantClusters = 5 // 0, 20, 50, 51, 63
	if cfg.RealSize != wantClusters*cs || cfg.RealSize*10 >= size {
		t.Fatalf("allocated %d bytes (%d clusters), want %d clusters", cfg.RealSize, cfg.RealSize/cs, wantClusters)
	}
	expectAvailable(t, d, before-(wantClusters+1)*cs, "after import (and its manifest's cluster)")
	expectContent(t, d, id, content)
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	r, _, err := d.openCopy(id)
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := r.DataExtents(ctx)
	if len(ext) != 4 || ext[2].Offset != 50*cs || ext[2].Length != 2*cs || ext[3].Offset+ext[3].Length != size {
		t.Fatalf("data extents %+v", ext)
	}
	if _, err := r.vol.WriteAt([]byte{1}, 0); err == nil {
		t.Fatal("a ready copy accepted a write")
	}
	_, err = d.Import(ctx, id, src, want, imagefmt.Limits{}, nil)
	expectErr(t, err, ErrExists, "second import of the same copy")
	checkClean(t, d)
}

// TestImportChecksumMismatchLeavesNothing: a wrong expected checksum or a
// cancelled context fails the import and leaves no volume and no allocated
// cluster.
func TestImportChecksumMismatchLeavesNothing(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	before := available(t, d)
	src := filepath.Join(t.TempDir(), "image.raw")
	writeImage(t, src, 16<<20, piece{3 << 20, randomBytes(5, 5<<20)})
	id := CopyID{Name: "bad", UUID: "u1"}
	_, err := d.Import(ctx, id, src, sha512Hex([]byte("something else")), imagefmt.Limits{}, nil)
	expectErr(t, err, ErrChecksumMismatch, "import with a wrong checksum")
	if n := len(d.ListCopies()); n != 0 {
		t.Fatalf("%d volumes left after a failed import", n)
	}
	expectAvailable(t, d, before, "after a failed import")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.Import(cancelled, id, src, "", imagefmt.Limits{}, nil)
	expectErr(t, err, context.Canceled, "import with a cancelled context")
	expectAvailable(t, d, before, "after a cancelled import")
	cfg, err := d.Import(ctx, id, src, "", imagefmt.Limits{}, nil) // no expected checksum: accepted
	if err != nil || cfg.ExpectedChecksum != "" || cfg.CurrentChecksum == "" {
		t.Fatalf("import without a checksum: %+v, %v", cfg, err)
	}
	_, err = d.Import(ctx, CopyID{Name: "empty", UUID: "u2"}, writeEmpty(t), "", imagefmt.Limits{}, nil)
	if err == nil {
		t.Fatal("an empty image was imported")
	}
	checkClean(t, d)
}

func writeEmpty(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "empty.raw")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportQcow2 imports a qcow2 made by qemu-img and written by qemu-io:
// the copy holds exactly what `qemu-img convert -O raw` produces, its
// checksum is the raw content's, the expected checksum is checked against
// the qcow2 bytes received, and the temp raw file is gone afterwards.
func TestImportQcow2(t *testing.T) {
	d, _ := testDisk(t, 256<<20)
	before := available(t, d)
	dir := t.TempDir()
	src := filepath.Join(dir, "image.qcow2")
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", src, "48M")
	run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0xab 1M 3M", "-c", "write -P 0x11 30M 512k",
		"-c", "write -z 2M 1M", src)
	received, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	wantRaw := filepath.Join(t.TempDir(), "want.raw")
	run(t, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", src, wantRaw)
	raw, err := os.ReadFile(wantRaw)
	if err != nil {
		t.Fatal(err)
	}
	id := CopyID{Name: "qcow", UUID: "uuid-q"}
	_, err = d.Import(ctx, id, src, sha512Hex(raw), imagefmt.Limits{}, nil)
	expectErr(t, err, ErrChecksumMismatch, "qcow2 import checked against the raw content's checksum")
	expectAvailable(t, d, before, "after the refused qcow2")

	cfg, err := d.Import(ctx, id, src, sha512Hex(received), imagefmt.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentChecksum != sha512Hex(raw) || cfg.ExpectedChecksum != sha512Hex(received) ||
		cfg.SourceFormat != imagefmt.Qcow2 || cfg.Format != imagefmt.Raw || cfg.Size != 48<<20 {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.RealSize != 3*cs { // clusters 0 (1M-2M), 1 (3M-4M) and 15 (30M)
		t.Fatalf("allocated %d clusters, want 3", cfg.RealSize/cs)
	}
	expectContent(t, d, id, raw)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left next to the qcow2: %v", entries)
	}
	expectNoTemp(t, d.stageDir)
	checkClean(t, d)
}
