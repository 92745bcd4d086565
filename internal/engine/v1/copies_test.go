package v1

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStartupCleanupAndList(t *testing.T) {
	d := testDisk(t)
	ready := CopyID{Name: "ready", UUID: "11111111-1111-4111-8111-111111111111"}
	data := randomBytes(4, 10000)
	cfg := writeCopy(t, d, ready, data)

	// A writer that "crashed": its temp file and folder stay behind.
	crashed := CopyID{Name: "crashed", UUID: "22222222-2222-4222-8222-222222222222"}
	w, err := d.Create(crashed)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	w.f.Close()
	// A crash between writing the cfg and the rename; and a stray cfg temp.
	cfgOnly := filepath.Join(d.Path(), ImagesDirName, "cfgonly-33333333-3333-4333-8333-333333333333")
	os.MkdirAll(cfgOnly, 0o750)
	os.WriteFile(filepath.Join(cfgOnly, ConfigName), []byte(`{}`), 0o640)
	os.WriteFile(filepath.Join(d.CopyDir(ready), ConfigName+".tmp"), []byte(`{`), 0o640)

	removed, err := d.CleanupTemp()
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 4 { // crashed's tmp + folder, cfgOnly folder, ready's cfg tmp
		t.Fatalf("removed %q, want 4 paths", removed)
	}
	assertMissing(t, d.CopyDir(crashed))
	assertMissing(t, cfgOnly)

	list, err := d.ListCopies()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != ready || list[0].Config != cfg || list[0].Changed || list[0].Problem != "" {
		t.Fatalf("ListCopies = %+v, want only %s unchanged", list, ready)
	}
	if _, err := d.Create(crashed); err != nil {
		t.Fatalf("Create after cleanup: %v", err)
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
	if _, err := d.Verify(t.Context(), testID); err != nil {
		t.Fatalf("Verify of a touched but intact copy: %v", err)
	}
	if list, _ = d.ListCopies(); list[0].Changed {
		t.Fatal("Verify did not refresh the cfg")
	}

	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("X"), 100)
	f.Close()
	if _, err := d.Verify(t.Context(), testID); !errors.Is(err, ErrChecksumMismatch) {
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
	f, cfg, err := d.Open(testID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != string(data) || cfg.CurrentChecksum != sha512Hex(data) {
		t.Fatal("Open returned other content or cfg")
	}
	if err := d.Remove(testID); err != nil {
		t.Fatal(err)
	}
	assertMissing(t, d.CopyDir(testID))
	if err := d.Remove(testID); err != nil {
		t.Fatalf("removing a missing copy: %v", err)
	}
	if _, _, err := d.Open(testID); err == nil {
		t.Fatal("Open of a removed copy succeeded")
	}
}
