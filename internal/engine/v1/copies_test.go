package v1

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

func TestStartupCleanupAndList(t *testing.T) {
	d := testDisk(t)
	ready := CopyID{Name: "ready", UUID: "11111111-1111-4111-8111-111111111111"}
	data := randomBytes(4, 10000)
	cfg := writeCopy(t, d, ready, data)

	// A writer of an earlier process that crashed after writing the
	// manifest: its temp file, manifest and folder stay behind.
	crashed := CopyID{Name: "crashed", UUID: "22222222-2222-4222-8222-222222222222"}
	os.MkdirAll(d.CopyDir(crashed), 0o750)
	os.WriteFile(filepath.Join(d.CopyDir(crashed), TempName), []byte("half"), 0o640)
	os.WriteFile(d.ManifestPath(crashed), []byte("manifest"), 0o640)
	// A writer of this process is busy: Cleanup leaves its files alone.
	busy := CopyID{Name: "busy", UUID: "55555555-5555-4555-8555-555555555555"}
	w := newWriter(t, d, busy, imagefmt.Limits{})
	defer w.Abort()
	w.Write([]byte("busy"))
	// A crash between writing the cfg and the rename; and a stray cfg temp.
	cfgOnly := filepath.Join(d.Path(), ImagesDirName, "cfgonly-33333333-3333-4333-8333-333333333333")
	os.MkdirAll(cfgOnly, 0o750)
	os.WriteFile(filepath.Join(cfgOnly, ConfigName), []byte(`{}`), 0o640)
	os.WriteFile(filepath.Join(d.CopyDir(ready), ConfigName+".tmp"), []byte(`{`), 0o640)

	removed, err := d.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 4 { // crashed's tmp + folder, cfgOnly folder, ready's cfg tmp
		t.Fatalf("removed %q, want 4 paths", removed)
	}
	assertMissing(t, d.CopyDir(crashed))
	assertMissing(t, cfgOnly)
	if _, err := os.Stat(filepath.Join(d.CopyDir(busy), TempName)); err != nil {
		t.Fatalf("Cleanup removed a live writer's temp file: %v", err)
	}
	w.Abort()

	list, err := d.ListCopies()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != ready || list[0].Config != cfg || list[0].Changed || list[0].Problem != "" {
		t.Fatalf("ListCopies = %+v, want only %s unchanged", list, ready)
	}
	w = newWriter(t, d, crashed, imagefmt.Limits{})
	w.Abort()
}

// Create clears what an interrupted attempt of an earlier process left
// for the copy (no Cleanup needed), but not a ready copy (ErrExists).
func TestCreateClearsDebris(t *testing.T) {
	d := testDisk(t)
	dir := d.CopyDir(testID)
	os.MkdirAll(dir, 0o750)
	for _, name := range []string{TempName, ManifestName, ConfigName, ManifestName + ".tmp"} {
		os.WriteFile(filepath.Join(dir, name), []byte("debris"), 0o640)
	}
	if err := d.Present(testID); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present of debris: %v, want fs.ErrNotExist", err)
	}
	data := randomBytes(12, 5000)
	writeCopy(t, d, testID, data)
	assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
	if _, err := d.Create(t.Context(), testID, imagefmt.Limits{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Create of a ready copy: %v, want ErrExists", err)
	}
}

func TestChangedCopyIsReverified(t *testing.T) {
	d := testDisk(t)
	data := randomBytes(5, 3*holeBlock)
	writeCopy(t, d, testID, data)
	path := d.BackingPath(testID)
	later := time.Now().Add(time.Hour)
	os.Chtimes(path, later, later)
	list, _ := d.ListCopies()
	if len(list) != 1 || !list[0].Changed {
		t.Fatalf("touched copy not reported Changed: %+v", list)
	}
	if _, err := d.Verify(t.Context(), testID, engine.VerifyOptions{}); err != nil {
		t.Fatalf("Verify of a touched but intact copy: %v", err)
	}
	if list, _ = d.ListCopies(); list[0].Changed {
		t.Fatal("Verify did not refresh the cfg")
	}

	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("X"), 100)
	f.Close()
	if _, err := d.Verify(t.Context(), testID, engine.VerifyOptions{}); !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("Verify of a modified copy: got %v, want ErrChecksumMismatch", err)
	}
}

func TestBrokenFoldersAreReportedAndRemovable(t *testing.T) {
	d := testDisk(t)
	noCfg := CopyID{Name: "nocfg", UUID: "44444444-4444-4444-8444-444444444444"}
	os.MkdirAll(d.CopyDir(noCfg), 0o750)
	os.WriteFile(d.BackingPath(noCfg), []byte("data"), 0o640)
	list, err := d.ListCopies()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Problem == "" || list[0].ID != noCfg {
		t.Fatalf("got %+v, want nocfg with a problem", list)
	}
	if err := d.RemoveFolder(list[0].Folder); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveFolder("../x"); err == nil {
		t.Fatal("RemoveFolder accepted a path")
	}
	if list, _ := d.ListCopies(); len(list) != 0 {
		t.Fatalf("folder not removed: %+v", list)
	}
}

func TestOpenAndRemove(t *testing.T) {
	d := testDisk(t)
	data := randomBytes(6, 777)
	writeCopy(t, d, testID, data)
	r, err := d.Open(testID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if fp := r.(interface{ FilePath() string }).FilePath(); fp != d.BackingPath(testID) {
		t.Fatalf("FilePath() = %s", fp)
	}
	r.Close()
	rec, err := d.Record(testID)
	if string(got) != string(data) || err != nil || rec.Checksum != sha512Hex(data) || rec.Size != 777 || rec.ID != testID {
		t.Fatalf("Open returned other content, or Record %+v, %v", rec, err)
	}
	if err := d.Remove(testID); err != nil {
		t.Fatal(err)
	}
	assertMissing(t, d.CopyDir(testID))
	if err := d.Remove(testID); err != nil {
		t.Fatalf("removing a missing copy: %v", err)
	}
	if _, err := d.Open(testID); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a removed copy: %v", err)
	}
	if err := d.Present(testID); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Present of a removed copy: %v", err)
	}
}
