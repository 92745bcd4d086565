package backup

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

func TestRestoreSurvivesTransientFaultsWithoutRefetching(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", 4*blockSize)
	b := p.startBackup("img")
	done := p.waitBackup(b.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))

	f := p.target("mem://t")
	var gets countingRule
	f.Add(faulty.Rule{Ops: []string{target.OpGet}, Prefix: blocksPrefix, Match: func(string, string) bool {
		gets.mu.Lock()
		gets.n++
		gets.mu.Unlock()
		return false
	}})
	// Three block downloads fail, as while the server is down for a moment.
	f.Add(faulty.Rule{Ops: []string{target.OpGet}, Prefix: blocksPrefix, Times: 3, Kind: target.KindTransient})
	r := &Restorer{Stores: p.stores, Settings: p.settings}
	from, err := r.ForParams(map[string]string{ParamBackupURL: done.Status.URL, ParamBackupTarget: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sink := &backupstore.BytesSink{}
	res, err := from.Restore(p.ctx, sink, func(int64, int64) {})
	if err != nil {
		t.Fatalf("restore after transient faults: %v", err)
	}
	data, _ := sink.Bytes()
	if res.Checksum != p.bi("img").Status.CurrentChecksum || !bytes.Equal(data, p.images["img"]) {
		t.Fatalf("restored image differs from the original")
	}
	if n := gets.count(); n != 4+3 {
		t.Fatalf("%d block downloads for 4 blocks and 3 injected failures: blocks already restored were fetched again", n)
	}
}

func (p *plane) bi(name string) model.BackingImage {
	p.t.Helper()
	v, err := p.bis.Get(p.ctx, name)
	if err != nil {
		p.t.Fatal(err)
	}
	return v.Value
}

func TestTargetDeleteStopsItsBackupAndRemovesItsInProgressCfg(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", 4*blockSize)
	f := p.target("mem://t")
	// The second block upload hangs until the backup is cancelled.
	started := make(chan struct{}, 8)
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindPermanent,
		Match: func(string, string) bool {
			started <- struct{}{}
			time.Sleep(300 * time.Millisecond)
			return false
		}})
	b := p.startBackup("img")
	<-started
	now := time.Now()
	if _, err := p.targets.Mutate(p.ctx, "t", func(bt *model.BackupTarget) error {
		bt.DeletionRequested = &now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if _, err := p.tc.Reconcile(ctx, "t"); err != nil {
		t.Fatalf("delete target: %v", err)
	}
	if _, err := p.targets.Get(p.ctx, "t"); err == nil {
		t.Fatalf("the target still exists")
	}
	if _, err := p.records.Backups.Get(p.ctx, b.Name); err == nil {
		t.Fatalf("the backup record of the deleted target still exists")
	}
	if _, err := f.Get(p.ctx, format.ConfigKey("img")); !target.IsNotFound(err) {
		t.Fatalf("the in-progress cfg stays on the store after its target was deleted (err %v); it would hold GC off", err)
	}
	var left int
	_ = f.Walk(p.ctx, format.BlocksDir, func(target.Entry) error { left++; return nil })
	if left != 0 {
		t.Fatalf("%d blocks of the stopped backup stay on the store", left)
	}
}
