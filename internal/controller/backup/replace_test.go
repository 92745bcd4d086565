package backup

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// failedBackup makes a backup of img on "t" that ends in Error (a
// permanent fault), then removes the fault.
func (p *plane) failedBackup(image string) model.Backup {
	p.t.Helper()
	f := p.target("mem://t")
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindPermanent})
	b := p.startBackup(image)
	p.waitBackup(b.Name, "Error", 20*time.Second, inState(apitypes.BackupStateError))
	f.Reset()
	return b
}

func TestNewBackupReplacesAFailedOne(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", 2*blockSize)
	old := p.failedBackup("img")

	b := p.startBackup("img")
	if b.Name == old.Name {
		t.Fatalf("the new backup got the failed one's generated name %s", b.Name)
	}
	if _, err := p.records.Backups.Get(p.ctx, old.Name); err == nil {
		t.Fatalf("the failed backup %s is still there after it was replaced", old.Name)
	}
	if owner, _, _ := p.records.Owner(p.ctx, "t", "img"); owner != b.Name {
		t.Fatalf("the uniqueness index names %q, want the new backup %s", owner, b.Name)
	}
	p.waitBackup(b.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))

	// A Completed backup still blocks, and the 409 says its state.
	_, err := p.svc.Create(p.ctx, "img", apitypes.BackupBackingImageCreateInput{BackupTargetName: "t"})
	if errkind.Of(err) != errkind.KindConflict || !strings.Contains(err.Error(), b.Name) || !strings.Contains(err.Error(), "(Completed)") {
		t.Fatalf("second backup of a Completed one: want a 409 naming %s and its state, got %v", b.Name, err)
	}
}

func TestRetryActionPutsAFailedBackupBack(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", 2*blockSize)
	b := p.failedBackup("img")

	got, err := p.svc.Retry(p.ctx, b.Name)
	if err != nil {
		t.Fatalf("retry a failed backup: %v", err)
	}
	if got.Status.State != apitypes.BackupStatePending || got.Status.Attempt != 0 || got.Status.Error != "" {
		t.Fatalf("after retry: state %s, attempt %d, error %q; want Pending with a fresh budget", got.Status.State, got.Status.Attempt, got.Status.Error)
	}
	p.waitBackup(b.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))
	if _, err := p.svc.Retry(p.ctx, b.Name); errkind.Of(err) != errkind.KindConflict || !strings.Contains(err.Error(), "Completed") {
		t.Fatalf("retry of a Completed backup: want a 409 naming the state, got %v", err)
	}
	if _, err := p.svc.Retry(p.ctx, "nope"); errkind.Of(err) != errkind.KindNotFound {
		t.Fatalf("retry of a missing backup: want 404, got %v", err)
	}
}

func TestSyncedForeignBackupIsAChecksumConflict(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	sum := p.addImage("img", 2*blockSize)
	// What a sync makes of another installation's backup of "img" with
	// other content.
	foreign := model.Backup{Name: "img-foreign1", BackingImageName: "img", BackupTargetName: "t", TargetURL: "mem://t",
		Status: model.BackupStatus{State: apitypes.BackupStateCompleted, Progress: 100, Checksum: strings.Repeat("ab", 64)}}
	if _, err := p.records.Create(p.ctx, foreign, false); err != nil {
		t.Fatal(err)
	}
	_, err := p.svc.Create(p.ctx, "img", apitypes.BackupBackingImageCreateInput{BackupTargetName: "t"})
	if errkind.Of(err) != errkind.KindConflict || !strings.Contains(err.Error(), "checksum "+strings.Repeat("ab", 64)) || !strings.Contains(err.Error(), sum) {
		t.Fatalf("want the checksum-conflict 409 naming both checksums, got %v", err)
	}
}

func TestDeleteOfFailedBackupDoesNotWaitForItsOwnLock(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", 2*blockSize)
	f := p.target("mem://t")
	// The target fails while the backup ends: its block and the removal of
	// its own lock file both fail, so the lock file stays.
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindPermanent})
	f.Add(faulty.Rule{Ops: []string{target.OpDelete}, Prefix: "backupstore/volumes/", Kind: target.KindTransient})
	b := p.startBackup("img")
	p.waitBackup(b.Name, "Error", 20*time.Second, inState(apitypes.BackupStateError))
	f.Reset()

	start := time.Now()
	now := time.Now()
	if _, err := p.records.Backups.Mutate(p.ctx, b.Name, func(r *model.Backup) error {
		r.DeletionRequested = &now // the deletion mark alone, as the API writes it
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p.ctl.Enqueue(b.Name)
	p.waitGone(b.Name, 3*time.Second)
	t.Logf("failed backup deleted in %s", time.Since(start).Round(time.Millisecond))
}

// waitGone waits until the backup record no longer exists.
func (p *plane) waitGone(name string, timeout time.Duration) {
	p.t.Helper()
	testenv.Eventually(p.t, timeout, "backup "+name+" deleted", func() (bool, string) {
		v, err := p.records.Backups.Get(p.ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, v.Value.Status.State + ": " + v.Value.Status.Error
	})
}

// The API writes only the deletion mark; the controller records Deleting
// in the status as soon as it starts the delete.
func TestDeletionMarkAloneLeadsToDeletingStatus(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", blockSize)
	b := p.startBackup("img")
	p.waitBackup(b.Name, "Completed", 20*time.Second, inState(apitypes.BackupStateCompleted))
	// The delete's availability check hangs until gate opens.
	gate := make(chan struct{})
	p.target("mem://t").Add(faulty.Rule{Ops: []string{target.OpCheck}, Match: func(string, string) bool {
		<-gate
		return false
	}})
	defer func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}()

	now := time.Now()
	if _, err := p.records.Backups.Mutate(p.ctx, b.Name, func(r *model.Backup) error {
		r.DeletionRequested = &now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p.ctl.Enqueue(b.Name)
	p.waitBackup(b.Name, "Deleting while its delete runs", 10*time.Second, inState(apitypes.BackupStateDeleting))
	close(gate)
	p.waitGone(b.Name, 10*time.Second)
}
