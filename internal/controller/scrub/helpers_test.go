package scrub

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/engine/enginetest"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

var imgID = engine.CopyID{Name: "img", UUID: "u1"}

// fixture is a scrubber over in-memory disks d1, d2, ... with a real
// (embedded) store, a fake clock and the test image on every disk.
type fixture struct {
	s     *Scrubber
	disks []*enginetest.Disk
	data  []byte
	clock *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, ndisks int) *fixture {
	t.Helper()
	b := store.NewTestBackend(t)
	f := &fixture{data: enginetest.Image(3, 4), clock: &clock{now: t0}}
	var refs []node.DiskRef
	bi := model.BackingImage{Name: imgID.Name, UUID: imgID.UUID, SourceType: apitypes.SourceDownload, DataEngine: apitypes.DataEngineV1}
	bi.Status.CurrentChecksum = enginetest.Checksum(f.data)
	bi.Status.Copies = map[string]*model.Copy{}
	for i := range ndisks {
		name := fmt.Sprintf("d%d", i+1)
		d := enginetest.NewDisk(engine.V1, "/mem/"+name, "uuid-"+name)
		put(t, d, f.data)
		f.disks = append(f.disks, d)
		refs = append(refs, node.DiskRef{Name: name, UUID: d.UUID(), Disk: d, Spec: apitypes.DiskSpec{Path: d.Path(), DiskType: apitypes.DiskTypeFilesystem}})
		bi.Status.Copies[d.UUID()] = &model.Copy{NodeID: "n1", DiskName: name, State: apitypes.StateReady, LastTransition: t0, Progress: 100}
	}
	bis := store.NewKind[model.BackingImage](b.Client, model.KindBackingImages)
	if _, err := bis.Create(context.Background(), bi.Name, bi); err != nil {
		t.Fatal(err)
	}
	f.s = &Scrubber{
		BIs: bis, Settings: settings.NewStore(store.NewKind[model.Setting](b.Client, model.KindSettings)),
		Disks: node.RegistryOf(refs...), NodeID: "n1", Scrubs: NewKind(b.Client), Now: f.clock.Now,
	}
	return f
}

func put(t *testing.T, d engine.Disk, data []byte) {
	t.Helper()
	w, err := d.Create(context.Background(), imgID, imagefmtLimits)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if _, err := w.Commit(context.Background(), enginetest.Checksum(data)); err != nil {
		t.Fatal(err)
	}
}

// copyOn returns the copy record on disk i (0-based).
func (f *fixture) copyOn(t *testing.T, i int) model.Copy {
	t.Helper()
	v, err := f.s.BIs.Get(context.Background(), imgID.Name)
	if err != nil {
		t.Fatal(err)
	}
	return *v.Value.Status.Copies[f.disks[i].UUID()]
}

// intact fails the test unless disk i holds the original bytes.
func (f *fixture) intact(t *testing.T, i int) {
	t.Helper()
	got, err := f.disks[i].Bytes(imgID)
	if err != nil || !bytes.Equal(got, f.data) {
		t.Fatalf("copy on disk %d differs from the image after repair (err %v)", i+1, err)
	}
}

func (f *fixture) set(t *testing.T, name, value string) {
	t.Helper()
	if err := f.s.Settings.Set(context.Background(), name, value); err != nil {
		t.Fatal(err)
	}
}

// blocks is a BlockSource over f.data; it counts its calls and can lie.
type blocks struct {
	data     []byte
	checksum string
	lie      bool
	calls    int
}

func (b *blocks) BackupBlock(_ context.Context, image, checksum string, off int64) ([]byte, error) {
	b.calls++
	if image != imgID.Name || checksum != b.checksum {
		return nil, fmt.Errorf("no backup of %s with checksum %s", image, checksum)
	}
	out := bytes.Clone(b.data[off:min(off+engine.BlockSize, int64(len(b.data)))])
	if b.lie {
		out[0] ^= 1
	}
	return out, nil
}
