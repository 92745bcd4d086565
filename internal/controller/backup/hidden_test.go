package backup

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/model"
)

func (p *plane) setURL(name, url string) {
	p.t.Helper()
	_, err := p.targets.Mutate(p.ctx, name, func(bt *model.BackupTarget) error {
		bt.URL, bt.SyncRequestedAt = url, time.Now().UTC()
		return nil
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.tc.Reconcile(p.ctx, name); err != nil {
		p.t.Fatalf("reconcile target %s: %v", name, err)
	}
}

// visible returns "name userCreated" of the target's records a list shows.
func (p *plane) visible(target string) []string {
	p.t.Helper()
	list, err := p.records.ForTarget(p.ctx, target)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []string
	for _, v := range list {
		if !v.Value.Hidden {
			out = append(out, v.Name+" "+map[bool]string{true: "user", false: "synced"}[v.Value.UserCreated])
		}
	}
	sort.Strings(out)
	return out
}

func TestURLChangeHidesRecordsAndTheyReturnWithTheirNames(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://a")
	if _, err := p.tc.Reconcile(p.ctx, "t"); err != nil {
		t.Fatal(err)
	}
	p.addImage("img1", blockSize)
	mine := p.startBackup("img1")
	p.waitBackup(mine.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))
	// Another installation's backup on the same store, found by a sync.
	other := backupstore.New(p.target("mem://a"), p.stores.StoreOptions)
	if _, err := other.Backup(context.Background(), backupstore.BackupRequest{Name: "img2",
		Source: &backupstore.BytesSource{Data: make([]byte, 4096)}}, nil); err != nil {
		t.Fatal(err)
	}
	p.setURL("t", "mem://a")
	before := p.visible("t")
	if len(before) != 2 {
		t.Fatalf("want my backup and the synced one, got %v", before)
	}

	p.setURL("t", "")
	if got := p.visible("t"); len(got) != 0 {
		t.Fatalf("with the URL cleared no record of the old URL may show, got %v", got)
	}
	if all, _ := p.records.ForTarget(p.ctx, "t"); len(all) != 2 {
		t.Fatalf("clearing the URL dropped records: %d left of 2", len(all))
	}

	// Another URL: a backup of the same image there is not blocked.
	p.setURL("t", "mem://b")
	there := p.startBackup("img1")
	p.waitBackup(there.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))

	p.setURL("t", "mem://a")
	if got := p.visible("t"); len(got) != 2 || got[0] != before[0] || got[1] != before[1] {
		t.Fatalf("back on the old URL the records must return with their names and userCreated: got %v, want %v", got, before)
	}
	if owner, _, _ := p.records.Owner(p.ctx, "t", "img1"); owner != mine.Name {
		t.Fatalf("the index of img1 names %q, want the returned record %s", owner, mine.Name)
	}
	if b := p.backup(there.Name); !b.Hidden {
		t.Fatalf("the record of the other URL must be hidden now")
	}
}
