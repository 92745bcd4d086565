package backingimage

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// storeController is a controller over fake disks with a real (embedded)
// store for its records.
func storeController(t *testing.T, disks ...*fakeDisk) *Controller {
	t.Helper()
	refs := make([]node.DiskRef, 0, len(disks))
	for i, d := range disks {
		refs = append(refs, node.DiskRef{Name: string(rune('a' + i)), UUID: d.uuid, Disk: d, Available: int64(100 - i),
			Spec: apitypes.DiskSpec{Path: d.path, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}})
	}
	c := testController(refs...)
	c.BIs = store.NewKind[model.BackingImage](store.NewTestBackend(t).Client, model.KindBackingImages)
	return c
}

// testData is 3.5 blocks of random bytes.
func testData() []byte {
	data := make([]byte, 3*engine.BlockSize+engine.BlockSize/2)
	r := rand.New(rand.NewPCG(7, 11))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return data
}

func sumOf(data []byte) string { s := sha512.Sum512(data); return hex.EncodeToString(s[:]) }

// addImage records image img with the given copies (disk UUID -> state).
func addImage(t *testing.T, c *Controller, checksum string, states map[string]string) model.BackingImage {
	t.Helper()
	bi := model.BackingImage{Name: "img", UUID: "u1", SourceType: apitypes.SourceRestore, DataEngine: apitypes.DataEngineV1,
		MinNumberOfCopies: 2, Parameters: map[string]string{"backup-url": "s3://b@r/?backup=x&backingImage=img"}}
	bi.Status.CurrentChecksum = checksum
	bi.Status.Copies = map[string]*model.Copy{}
	for disk, st := range states {
		bi.Status.Copies[disk] = &model.Copy{NodeID: "n1", DiskName: disk, State: st}
	}
	if _, err := c.BIs.Create(t.Context(), bi.Name, bi); err != nil {
		t.Fatal(err)
	}
	return bi
}

func copyOf(t *testing.T, c *Controller, disk string) model.Copy {
	t.Helper()
	v, err := c.BIs.Get(t.Context(), "img")
	if err != nil {
		t.Fatal(err)
	}
	cp := v.Value.Status.Copies[disk]
	if cp == nil {
		t.Fatalf("no copy record on disk %s", disk)
	}
	return *cp
}

var imgID = engine.CopyID{Name: "img", UUID: "u1"}

func TestOpenCopyFailsADamagedCopyAndOpensTheNext(t *testing.T) {
	data := testData()
	a, b := newFakeDisk("ua", engine.V1), newFakeDisk("ub", engine.V2)
	a.put(imgID, data)
	want := b.put(imgID, data)
	a.manifestErr = &engine.DamagedError{ID: imgID, Disk: a.path, Whole: true}
	c := storeController(t, a, b)
	bi := addImage(t, c, sumOf(data), map[string]string{"ua": apitypes.StateReady, "ub": apitypes.StateReady})

	o, err := c.OpenCopy(t.Context(), bi)
	if err != nil {
		t.Fatalf("OpenCopy with one damaged and one good copy: %v", err)
	}
	if o.DiskUUID != "ub" || o.DiskPath != b.path || o.Manifest != want || o.ID != imgID {
		t.Fatalf("opened %+v, want the copy on ub with its manifest", o)
	}
	got, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read the opened copy: %v", err)
	}
	o.Close()
	if a.openCount() != 0 || b.openCount() != 0 {
		t.Fatalf("readers left open: a %d, b %d", a.openCount(), b.openCount())
	}
	if cp := copyOf(t, c, "ua"); cp.State != apitypes.StateFailed || !strings.Contains(cp.Message, "no longer hashes to its recorded checksum") {
		t.Fatalf("damaged copy is %s %q, want failed saying why", cp.State, cp.Message)
	}
	if cp := copyOf(t, c, "ub"); cp.State != apitypes.StateReady {
		t.Fatalf("good copy is %s", cp.State)
	}
	// With no good copy left, the error says why each copy was passed over.
	b.manifestErr = errors.New("manifest unreadable")
	bi.Status.Copies["ua"].State = apitypes.StateFailed
	if _, err := c.OpenCopy(t.Context(), bi); err == nil || !strings.Contains(err.Error(), "copy on disk b: manifest unreadable") {
		t.Fatalf("OpenCopy without a readable copy: %v", err)
	}
	if cp := copyOf(t, c, "ub"); cp.State != apitypes.StateReady {
		t.Fatalf("an unreadable (not damaged) manifest failed the copy: %s %q", cp.State, cp.Message)
	}
}

func TestReplicateCopiesWithTheSourcesManifest(t *testing.T) {
	data := testData()
	a, b := newFakeDisk("ua", engine.V1), newFakeDisk("ub", engine.V1)
	m := a.put(imgID, data)
	c := storeController(t, a, b)
	bi := addImage(t, c, sumOf(data), map[string]string{"ua": apitypes.StateReady, "ub": apitypes.StatePending})
	c.runReplicate(t.Context(), bi, "ub")
	if cp := copyOf(t, c, "ub"); cp.State != apitypes.StateReady {
		t.Fatalf("replica is %s %q, want ready", cp.State, cp.Message)
	}
	got, ok := b.get(imgID)
	if !ok || !bytes.Equal(got.data, data) || got.manifest != m {
		t.Fatal("the replica differs from the source or was not given the source's manifest")
	}
	if a.openCount() != 0 {
		t.Fatal("the source's reader was left open")
	}
}

func TestReplicateFromADamagedCopyFailsTheSourceNamingTheBlock(t *testing.T) {
	data := testData()
	a, b := newFakeDisk("ua", engine.V1), newFakeDisk("ub", engine.V1)
	a.put(imgID, data)
	src, _ := a.get(imgID)
	src.data[engine.BlockSize+100] ^= 0x08 // bit rot in block 1
	c := storeController(t, a, b)
	bi := addImage(t, c, sumOf(data), map[string]string{"ua": apitypes.StateReady, "ub": apitypes.StatePending})
	c.runReplicate(t.Context(), bi, "ub")

	cp := copyOf(t, c, "ua")
	if cp.State != apitypes.StateFailed {
		t.Fatalf("damaged source is %s, want failed", cp.State)
	}
	for _, want := range []string{"copy img-u1 on disk " + a.path + " is damaged", "block 1 (offset 2097152)"} {
		if !strings.Contains(cp.Message, want) {
			t.Errorf("source's message %q lacks %q", cp.Message, want)
		}
	}
	if cp := copyOf(t, c, "ub"); cp.State != apitypes.StatePending || !strings.Contains(cp.Message, "turned out damaged") {
		t.Fatalf("target copy is %s %q, want pending for another source", cp.State, cp.Message)
	}
	if _, ok := b.get(imgID); ok {
		t.Fatal("a replica of a damaged source was kept")
	}
}

// fakeBackup is a backup restored from memory.
type fakeBackup struct {
	data     []byte
	fullPass bool
}

func (f *fakeBackup) Restore(_ context.Context, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	if err := sink.Prepare(int64(len(f.data))); err != nil {
		return engine.Restored{}, err
	}
	if _, err := sink.WriteAt(f.data, 0); err != nil {
		return engine.Restored{}, err
	}
	progress(int64(len(f.data)), int64(len(f.data)))
	return engine.Restored{Checksum: sumOf(f.data), FullPass: f.fullPass}, sink.Sync()
}

func (f *fakeBackup) Format(context.Context) (imagefmt.Format, error) { return imagefmt.Raw, nil }

type fakeRestorers struct {
	backup *fakeBackup
	params map[string]string
}

func (f *fakeRestorers) ForParams(params map[string]string) (engine.BackupReader, error) {
	f.params = params
	if f.backup == nil {
		return nil, errors.New("no such backup")
	}
	return f.backup, nil
}

func TestRestoreGoesThroughTheDisksRestoreAndSaysWhenItHashedTheWholeImage(t *testing.T) {
	data := testData()
	for _, fullPass := range []bool{false, true} {
		a := newFakeDisk("ua", engine.V2)
		c := storeController(t, a)
		r := &fakeRestorers{backup: &fakeBackup{data: data, fullPass: fullPass}}
		c.Restorer = r
		bi := addImage(t, c, "", map[string]string{"ua": apitypes.StatePending})
		c.runRestore(t.Context(), bi, "ua")
		cp := copyOf(t, c, "ua")
		if cp.State != apitypes.StateReady || r.params["backup-url"] != bi.Parameters["backup-url"] {
			t.Fatalf("restored copy is %s %q (params %v)", cp.State, cp.Message, r.params)
		}
		if got, ok := a.get(imgID); !ok || !bytes.Equal(got.data, data) {
			t.Fatal("the disk holds no copy with the backup's content")
		}
		if v, _ := c.BIs.Get(t.Context(), "img"); v.Value.Status.CurrentChecksum != sumOf(data) {
			t.Fatalf("image checksum %q", v.Value.Status.CurrentChecksum)
		}
		if said := strings.Contains(cp.Message, "foreign backup"); said != fullPass {
			t.Fatalf("fullPass %v: copy message %q", fullPass, cp.Message)
		}
	}
	a := newFakeDisk("ua", engine.V1)
	c := storeController(t, a)
	c.Restorer = &fakeRestorers{}
	bi := addImage(t, c, "", map[string]string{"ua": apitypes.StatePending})
	c.runRestore(t.Context(), bi, "ua")
	if cp := copyOf(t, c, "ua"); cp.State != apitypes.StateFailed || !strings.Contains(cp.Message, "restore failed: no such backup") {
		t.Fatalf("restore of an unknown backup: %s %q", cp.State, cp.Message)
	}
}

func TestNewWriterAdoptsAVerifiedCopyAndRemovesADamagedOne(t *testing.T) {
	data := testData()
	a := newFakeDisk("ua", engine.V1)
	a.put(imgID, data) // committed before a crash, never recorded
	c := storeController(t, a)
	bi := addImage(t, c, "", map[string]string{"ua": apitypes.StateInProgress})
	if w, ok := c.newWriter(t.Context(), bi, "ua"); ok || w != nil {
		t.Fatal("newWriter started a new copy over a committed one")
	}
	if cp := copyOf(t, c, "ua"); cp.State != apitypes.StateReady {
		t.Fatalf("committed copy is %s %q, want adopted as ready", cp.State, cp.Message)
	}

	b := newFakeDisk("ub", engine.V1)
	b.put(imgID, data)
	got, _ := b.get(imgID)
	got.data[5] ^= 1
	c = storeController(t, b)
	bi = addImage(t, c, "", map[string]string{"ub": apitypes.StateInProgress})
	c.newWriter(t.Context(), bi, "ub")
	cp := copyOf(t, c, "ub")
	if cp.State != apitypes.StateFailed || !strings.Contains(cp.Message, "does not verify") || !strings.Contains(cp.Message, "block 0 (offset 0)") {
		t.Fatalf("damaged committed copy is %s %q, want failed naming block 0", cp.State, cp.Message)
	}
	if _, ok := b.get(imgID); ok {
		t.Fatal("the damaged copy was left on the disk")
	}
}

func TestMarkDamagedLeavesARecreatedImageAlone(t *testing.T) {
	a := newFakeDisk("ua", engine.V1)
	c := storeController(t, a)
	addImage(t, c, "", map[string]string{"ua": apitypes.StateReady})
	damage := &engine.DamagedError{ID: imgID, Disk: a.path, Offsets: []int64{0}}
	c.MarkDamaged(t.Context(), engine.CopyID{Name: "img", UUID: "older"}, "ua", damage)
	if cp := copyOf(t, c, "ua"); cp.State != apitypes.StateReady {
		t.Fatalf("a damage report about another image of the same name failed the copy: %q", cp.Message)
	}
	c.MarkDamaged(t.Context(), imgID, "ua", damage)
	if cp := copyOf(t, c, "ua"); cp.State != apitypes.StateFailed || cp.Message != damage.Error() {
		t.Fatalf("copy is %s %q, want failed with the damage", cp.State, cp.Message)
	}
}
