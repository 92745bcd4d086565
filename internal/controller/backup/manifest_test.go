package backup

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/target"
)

// countingSource counts the bytes read from a copy.
type countingSource struct {
	*backupstore.BytesSource
	read atomic.Int64
}

func (s *countingSource) ReadAt(p []byte, off int64) (int, error) {
	s.read.Add(int64(len(p)))
	return s.BytesSource.ReadAt(p, off)
}

func (s *countingSource) Close() error { return nil }

// serveCopies makes the controller open every image's copy from data with
// manifest m, as the backing-image controller does, on disk "disk-1".
func (p *plane) serveCopies(data []byte, m *engine.Manifest) *countingSource {
	src := &countingSource{BytesSource: &backupstore.BytesSource{Data: data}}
	p.ctl.OpenCopy = func(_ context.Context, bi model.BackingImage) (LocalCopy, error) {
		return LocalCopy{Source: src, Manifest: m, ID: engine.CopyID{Name: bi.Name, UUID: "u1"}, DiskUUID: "disk-1", DiskPath: "/disks/d1"}, nil
	}
	return src
}

func TestBackupOfADamagedCopyFailsNamingTheBlockAndFailsTheCopy(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	sum := p.addImage("img", 4*blockSize)
	m, err := engine.Build(p.ctx, &backupstore.BytesSource{Data: p.images["img"]}, sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(p.images["img"])
	damaged[2*blockSize+7] ^= 1 // bit rot in block 2 after the manifest was made
	badID := engine.SumOf(damaged[2*blockSize : 3*blockSize]).String()
	p.serveCopies(damaged, m)
	var mu sync.Mutex
	var reports []error
	p.ctl.CopyDamaged = func(_ context.Context, id engine.CopyID, diskUUID string, damage error) {
		mu.Lock()
		defer mu.Unlock()
		if id.Name == "img" && diskUUID == "disk-1" {
			reports = append(reports, damage)
		}
	}

	b := p.startBackup("img")
	done := p.waitBackup(b.Name, "Error", 20*time.Second, inState(apitypes.BackupStateError))
	for _, want := range []string{"the local copy it read is damaged", "copy img-u1 on disk /disks/d1", "block 2 (offset 4194304)"} {
		if !strings.Contains(done.Status.Error, want) {
			t.Errorf("backup error %q lacks %q", done.Status.Error, want)
		}
	}
	if done.Status.Attempt != 1 {
		t.Errorf("a damaged copy was retried: %d attempts", done.Status.Attempt)
	}
	mu.Lock()
	defer mu.Unlock()
	var de *engine.DamagedError
	if len(reports) != 1 || !errors.As(reports[0], &de) || len(de.Offsets) != 1 || de.Offsets[0] != 2*blockSize || de.Disk != "/disks/d1" {
		t.Fatalf("copy damage reported %v, want once, naming block 2 on /disks/d1", reports)
	}
	f := p.target("mem://t")
	_ = f.Walk(p.ctx, format.BlocksDir, func(e target.Entry) error {
		if strings.Contains(e.Key, badID) {
			t.Errorf("the damaged block was uploaded as %s", e.Key)
		}
		return nil
	})
}

func TestBackupFromAManifestReadsNothingWhenEveryBlockIsStored(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	sum := p.addImage("img", 4*blockSize)
	data := p.images["img"]
	m, err := engine.Build(p.ctx, &backupstore.BytesSource{Data: data}, sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := p.serveCopies(data, m)
	first := p.waitBackup(p.startBackup("img").Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))
	if first.Status.Checksum != sum || src.read.Load() == 0 {
		t.Fatalf("first backup: checksum %s, %d bytes read", first.Status.Checksum, src.read.Load())
	}

	// A second image with the same content: every block is on the target.
	bi := model.BackingImage{Name: "same"}
	bi.Status.CurrentChecksum = sum
	bi.Status.Copies = map[string]*model.Copy{"disk-1": {State: apitypes.StateReady}}
	if _, err := p.bis.Create(p.ctx, bi.Name, bi); err != nil {
		t.Fatal(err)
	}
	src = p.serveCopies(data, m)
	second := p.waitBackup(p.startBackup("same").Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))
	if n := src.read.Load(); n != 0 {
		t.Fatalf("a backup whose blocks are all stored read %d bytes of the copy", n)
	}
	// A run whose status write lost a race runs again and adopts what it
	// just committed; either way nothing was uploaded.
	res := second.Status.Messages["result"]
	if second.Status.Checksum != sum || !(strings.Contains(res, "0 blocks uploaded") || strings.Contains(res, "nothing uploaded")) {
		t.Fatalf("second backup: checksum %s, result %q", second.Status.Checksum, second.Status.Messages["result"])
	}
}
