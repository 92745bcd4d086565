package v2

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// fillCopy writes content into a new copy through Create's Filler, in
// uneven pieces, and commits it with expected.
func createCopy(t *testing.T, d *Disk, id CopyID, content []byte, expected string) (engine.Record, error) {
	t.Helper()
	f, err := d.Create(ctx, id, imagefmt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	for off := 0; off < len(content); off += 777777 {
		if _, err := f.Write(content[off:min(off+777777, len(content))]); err != nil {
			t.Fatal(err)
		}
	}
	if f.Written() != int64(len(content)) {
		t.Fatalf("Written %d, want %d", f.Written(), len(content))
	}
	return f.Commit(ctx, expected)
}

// TestCreateRecordsManifests: a raw and a qcow2 image filled in order get
// the manifest of the raw content they hold, and the staged files are gone.
func TestCreateRecordsManifests(t *testing.T) {
	d, _ := testDisk(t, 128<<20)
	before := available(t, d)
	content := testContent()
	raw := CopyID{Name: "raw", UUID: "u1"}
	_, err := createCopy(t, d, raw, content, sha512Hex([]byte("other")))
	expectErr(t, err, ErrChecksumMismatch, "a wrong expected checksum")
	expectAvailable(t, d, before, "after a checksum mismatch")
	expectNoTemp(t, d.stageDir)

	rec, err := createCopy(t, d, raw, content, sha512Hex(content))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Checksum != sha512Hex(content) || rec.Size != int64(len(content)) || rec.Format != imagefmt.Raw {
		t.Fatalf("record %+v", rec)
	}
	want := manifestOf(t, content)
	expectManifest(t, d, raw, want)
	if want.DataBlocks() != 4 || !want.Blocks[1].IsZero() || !want.Blocks[4].IsZero() {
		t.Fatalf("test content's manifest: %v", want.Blocks)
	}
	expectContent(t, d, raw, content)
	_, err = d.Create(ctx, raw, imagefmt.Limits{})
	expectErr(t, err, ErrExists, "Create of a ready copy")

	qcow := filepath.Join(t.TempDir(), "image.qcow2")
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", qcow, "9M")
	run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0xab 1M 3M", "-c", "write -P 0x11 8M 512k", qcow)
	received, err := os.ReadFile(qcow)
	if err != nil {
		t.Fatal(err)
	}
	wantRaw := filepath.Join(t.TempDir(), "want.raw")
	run(t, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow, wantRaw)
	rawContent, err := os.ReadFile(wantRaw)
	if err != nil {
		t.Fatal(err)
	}
	q := CopyID{Name: "qcow", UUID: "u2"}
	rec, err = createCopy(t, d, q, received, sha512Hex(received))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Checksum != sha512Hex(rawContent) || rec.Size != 9<<20 {
		t.Fatalf("qcow2 record %+v", rec)
	}
	expectManifest(t, d, q, manifestOf(t, rawContent))
	expectContent(t, d, q, rawContent)
	expectNoTemp(t, d.stageDir)
	checkClean(t, d)
}

// TestRestoreManifest: a restore's proved manifest is stored as is (a
// block ID deliberately wrong in it shows nothing re-hashed it); without
// one, the manifest is built and checked against the checksum; a qcow2
// backup is staged, converted and its raw content hashed.
func TestRestoreManifest(t *testing.T) {
	d, _ := testDisk(t, 128<<20)
	before := available(t, d)
	content := testContent()
	given := manifestOf(t, content)
	given.Blocks[2][0] ^= 1 // not what block 2 hashes to
	id := CopyID{Name: "restored", UUID: "u1"}
	if _, err := d.Restore(ctx, id, &memBackup{data: content, checksum: given.Checksum, manifest: given}, imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	expectManifest(t, d, id, given)
	_, err := d.Verify(ctx, id, engine.VerifyOptions{})
	var de *engine.DamagedError
	if !errors.As(err, &de) || len(de.Offsets) != 1 || de.Offsets[0] != 2*engine.BlockSize {
		t.Fatalf("Verify against the given manifest: %v", err)
	}
	expectContent(t, d, id, content)

	other := CopyID{Name: "built", UUID: "u2"}
	_, err = d.Restore(ctx, other, &memBackup{data: content, checksum: sha512Hex([]byte("x"))}, imagefmt.Limits{}, nil)
	expectErr(t, err, ErrChecksumMismatch, "a restore whose content does not hash to its checksum")
	if err := d.Present(other); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after a failed restore: %v", err)
	}
	if _, err := d.Restore(ctx, other, &memBackup{data: content, checksum: sha512Hex(content)}, imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	expectManifest(t, d, other, manifestOf(t, content))

	qcow := filepath.Join(t.TempDir(), "image.qcow2")
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", qcow, "5M")
	run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 2M 1M", qcow)
	qbytes, _ := os.ReadFile(qcow)
	wantRaw := make([]byte, 5<<20)
	for i := 2 << 20; i < 3<<20; i++ {
		wantRaw[i] = 0x5a
	}
	for name, format := range map[string]imagefmt.Format{"told": imagefmt.Qcow2, "found": imagefmt.Raw} {
		qid := CopyID{Name: "qcow-" + name, UUID: "u3"}
		b := &memBackup{data: qbytes, checksum: sha512Hex(qbytes), format: format}
		rec, err := d.Restore(ctx, qid, b, imagefmt.Limits{}, nil)
		if err != nil {
			t.Fatalf("qcow2 backup (%s): %v", name, err)
		}
		if rec.Checksum != sha512Hex(wantRaw) {
			t.Fatalf("qcow2 backup (%s): checksum %s", name, rec.Checksum)
		}
		expectManifest(t, d, qid, manifestOf(t, wantRaw))
		expectContent(t, d, qid, wantRaw)
		if err := d.Remove(qid); err != nil {
			t.Fatal(err)
		}
	}
	expectNoTemp(t, d.stageDir)
	for _, c := range []CopyID{id, other} {
		if err := d.Remove(c); err != nil {
			t.Fatal(err)
		}
	}
	expectAvailable(t, d, before, "after removing every copy and its manifest")
	checkClean(t, d)
}

// TestReplicate: v2 to v2 is byte-identical with an equal manifest; a
// damaged source block fails naming it and leaves nothing; a raw file
// copy and a qcow2 file copy (v1's) replicate too.
func TestReplicate(t *testing.T) {
	src, _ := testDisk(t, 128<<20)
	dst, _ := testDisk(t, 128<<20)
	before := available(t, dst)
	content := testContent()
	id := CopyID{Name: "img", UUID: "u1"}
	if _, err := createCopy(t, src, id, content, ""); err != nil {
		t.Fatal(err)
	}
	m, err := src.Manifest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := dst.Replicate(ctx, id, r, m, imagefmt.Limits{}, nil)
	if err != nil || rec.Checksum != m.Checksum {
		t.Fatalf("replicate: %+v, %v", rec, err)
	}
	expectContent(t, dst, id, content)
	expectManifest(t, dst, id, m)
	if err := dst.Remove(id); err != nil {
		t.Fatal(err)
	}

	flipByte(t, src, id, 5*engine.BlockSize+100)
	_, err = dst.Replicate(ctx, id, r, m, imagefmt.Limits{}, nil)
	var de *engine.DamagedError
	if !errors.As(err, &de) || len(de.Offsets) != 1 || de.Offsets[0] != 5*engine.BlockSize || de.Disk != src.Path() {
		t.Fatalf("replicate of a damaged source: %v", err)
	}
	expectAvailable(t, dst, before, "after a damaged replication")

	dir := t.TempDir()
	rawFile := filepath.Join(dir, "copy.raw")
	if err := os.WriteFile(rawFile, content, 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := CopyID{Name: "from-file", UUID: "u2"}
	if _, err := dst.Replicate(ctx, fromFile, openFileCopy(t, rawFile), m, imagefmt.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	expectContent(t, dst, fromFile, content)
	expectManifest(t, dst, fromFile, m)

	qcow := filepath.Join(dir, "copy.qcow2")
	run(t, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", rawFile, qcow)
	qbytes, _ := os.ReadFile(qcow)
	qid := CopyID{Name: "from-qcow2", UUID: "u3"}
	rec, err = dst.Replicate(ctx, qid, openFileCopy(t, qcow), manifestOf(t, qbytes), imagefmt.Limits{}, nil)
	if err != nil || rec.Checksum != m.Checksum {
		t.Fatalf("replicate a qcow2 file: %+v, %v", rec, err)
	}
	expectContent(t, dst, qid, content)
	expectManifest(t, dst, qid, m)
	expectNoTemp(t, dst.stageDir)
	checkClean(t, dst)
}

// TestVerifyAndRepair: a flipped byte in a volume's data is found by Verify
// naming its block; Repair refuses bytes that do not match and fixes the
// block with the right ones; a zero block that is a hole needs no write.
func TestVerifyAndRepair(t *testing.T) {
	d, path := testDisk(t, 128<<20)
	content := testContent()
	id := CopyID{Name: "img", UUID: "u1"}
	if _, err := createCopy(t, d, id, content, sha512Hex(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	flipByte(t, d, id, 2*engine.BlockSize+12345)
	_, err := d.Verify(ctx, id, engine.VerifyOptions{})
	var de *engine.DamagedError
	if !errors.As(err, &de) || len(de.Offsets) != 1 || de.Offsets[0] != 2*engine.BlockSize || de.Disk != d.Path() || de.ID != id {
		t.Fatalf("Verify of a flipped byte: %v", err)
	}
	block := content[2*engine.BlockSize : 3*engine.BlockSize]
	err = d.Repair(ctx, id, 2*engine.BlockSize, content[:engine.BlockSize])
	expectErr(t, err, ErrChecksumMismatch, "Repair with another block's bytes")
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); !errors.As(err, &de) {
		t.Fatalf("a refused repair changed the copy: %v", err)
	}
	if err := d.Repair(ctx, id, 2*engine.BlockSize, block); err != nil {
		t.Fatal(err)
	}
	free := available(t, d)
	if err := d.Repair(ctx, id, engine.BlockSize, make([]byte, engine.BlockSize)); err != nil {
		t.Fatalf("Repair of a zero block: %v", err)
	}
	expectAvailable(t, d, free, "after repairing a hole")
	err = d.Repair(ctx, id, engine.BlockSize, block)
	expectErr(t, err, ErrChecksumMismatch, "Repair of a zero block with data")
	checkClean(t, d)

	d = mustOpenDisk(t, path, 0) // the repair is durable
	if _, err := d.Verify(ctx, id, engine.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	expectContent(t, d, id, content)
}

// TestOldCopyGetsManifest: a copy without a manifest (made before them)
// gets one built and stored on the first Manifest call; one whose content
// no longer hashes to its checksum is damaged as a whole.
func TestOldCopyGetsManifest(t *testing.T) {
	d, path := testDisk(t, 128<<20)
	content := testContent()
	id := CopyID{Name: "old", UUID: "u1"}
	if _, err := createCopy(t, d, id, content, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.removeManifest(id.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.Get(manifestVolume(id.String())); err == nil {
		t.Fatal("the manifest volume is still there")
	}
	expectManifest(t, d, id, manifestOf(t, content))
	if _, err := d.store.Get(manifestVolume(id.String())); err != nil {
		t.Fatalf("the built manifest was not stored: %v", err)
	}
	checkClean(t, d)
	d = mustOpenDisk(t, path, 0)
	expectManifest(t, d, id, manifestOf(t, content))

	if err := d.removeManifest(id.String()); err != nil {
		t.Fatal(err)
	}
	flipByte(t, d, id, 7)
	_, err := d.Manifest(ctx, id)
	var de *engine.DamagedError
	if !errors.As(err, &de) || !de.Whole {
		t.Fatalf("Manifest of a damaged old copy: %v", err)
	}
	if _, err := d.store.Get(manifestVolume(id.String())); err == nil {
		t.Fatal("a manifest was stored for a damaged copy")
	}
}

// TestCleanupRemovesStaged: Cleanup removes this disk's stale staged files
// and orphaned manifest volumes, and keeps a live writer's staged file,
// other disks' files and ready copies with their manifests.
func TestCleanupRemovesStaged(t *testing.T) {
	d, _ := testDisk(t, 128<<20)
	content := testContent()
	ready := CopyID{Name: "ready", UUID: "u1"}
	if _, err := createCopy(t, d, ready, content, ""); err != nil {
		t.Fatal(err)
	}
	stale := d.stagePath(CopyID{Name: "stale", UUID: "u2"}.String(), stagedSuffix)
	converted := d.stagePath(CopyID{Name: "stale", UUID: "u2"}.String(), convertedSuffix)
	foreign := filepath.Join(d.stageDir, "0f0f0f0f-0000-0000-0000-000000000000-x-u.tmp")
	for _, p := range []string{stale, converted, foreign} {
		if err := os.WriteFile(p, []byte("left by a crash"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	live := CopyID{Name: "live", UUID: "u3"}
	f, err := d.Create(ctx, live, imagefmt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	f.Write(content[:1000])
	orphan := manifestOf(t, content)
	if err := d.storeManifest("gone-u4", orphan); err != nil {
		t.Fatal(err)
	}
	removed, err := d.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{manifestVolume("gone-u4"): true, stale: true, converted: true}
	if len(removed) != len(want) {
		t.Fatalf("Cleanup removed %v, want %v", removed, want)
	}
	for _, r := range removed {
		if !want[r] {
			t.Fatalf("Cleanup removed %s (all: %v)", r, removed)
		}
	}
	for _, p := range []string{foreign, d.stagePath(live.String(), stagedSuffix)} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("Cleanup removed %s: %v", p, err)
		}
	}
	expectManifest(t, d, ready, manifestOf(t, content))
	if _, err := f.Commit(ctx, ""); err != nil {
		t.Fatal(err)
	}
	expectContent(t, d, live, content[:1000])
}
