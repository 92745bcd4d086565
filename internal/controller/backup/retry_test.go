package backup

import (
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

const blockSize = 2 << 20

// startBackup creates a backup of image on target "t" through the service.
func (p *plane) startBackup(image string) model.Backup {
	p.t.Helper()
	b, err := p.svc.Create(p.ctx, image, apitypes.BackupBackingImageCreateInput{BackupTargetName: "t"})
	if err != nil {
		p.t.Fatalf("create backup of %s: %v", image, err)
	}
	return b
}

// failNthBlockPut makes the n-th block Put (counted by c) fail once with kind.
func failNthBlockPut(f *faulty.Target, c *countingRule, n int, kind target.Kind) {
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Times: 1, Kind: kind,
		Match: func(string, string) bool { return c.count() >= n }})
}

func TestTransientFailureRetriesAndResumesWithoutResending(t *testing.T) {
	p := newPlane(t)
	p.set(settings.BackupConcurrentLimit, "1")
	p.addTarget("t", "mem://t")
	p.addImage("img", 6*blockSize)
	f := p.target("mem://t")
	puts := blockPuts(f)
	failNthBlockPut(f, puts, 4, target.KindTransient)

	b := p.startBackup("img")
	retrying := p.waitBackup(b.Name, "waiting to retry", 20*time.Second, func(b model.Backup) bool {
		return b.Status.Attempt == 1 || b.Status.State == apitypes.BackupStateError || b.Status.State == apitypes.BackupStateCompleted
	})
	if retrying.Status.State != apitypes.BackupStateInProgress || retrying.Status.RetryAt == nil ||
		!strings.Contains(retrying.Status.Error, "retrying in") || !strings.Contains(retrying.Status.Error, "(attempt 2)") {
		t.Fatalf("after one transient failure the backup must stay InProgress waiting to retry; got state %s, retryAt %v, error %q",
			retrying.Status.State, retrying.Status.RetryAt, retrying.Status.Error)
	}
	done := p.waitBackup(b.Name, "Completed", 30*time.Second, inState(apitypes.BackupStateCompleted))
	if done.Status.Attempt != 0 || done.Status.RetryAt != nil {
		t.Fatalf("a completed backup keeps no retry state: attempt %d, retryAt %v", done.Status.Attempt, done.Status.RetryAt)
	}
	// 6 distinct blocks plus the one failed Put: nothing stored was re-sent.
	if n := puts.count(); n != 7 {
		t.Fatalf("%d block Puts for 6 blocks and one injected failure; the resumed attempt re-sent stored blocks", n)
	}
	if msg := done.Status.Messages["result"]; !strings.HasPrefix(msg, "3 blocks uploaded") || !strings.Contains(msg, "3 already on the target") {
		t.Fatalf("result %q: the resumed attempt must upload only the 3 missing blocks", msg)
	}
}

func TestPermanentFailureEndsInErrorAtOnce(t *testing.T) {
	p := newPlane(t)
	p.set(settings.BackupConcurrentLimit, "1")
	p.addTarget("t", "mem://t")
	p.addImage("img", 3*blockSize)
	f := p.target("mem://t")
	puts := blockPuts(f)
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindPermanent})

	b := p.startBackup("img")
	got := p.waitBackup(b.Name, "Error", 20*time.Second, inState(apitypes.BackupStateError))
	if got.Status.Attempt != 1 || strings.Contains(got.Status.Error, "retrying") {
		t.Fatalf("a permanent error must end the backup at once: attempt %d, error %q", got.Status.Attempt, got.Status.Error)
	}
	if n := puts.count(); n != 1 {
		t.Fatalf("%d block Puts: a permanent error was retried", n)
	}
}

func TestRetriesAreBoundedBySetting(t *testing.T) {
	p := newPlane(t)
	p.set(settings.BackupConcurrentLimit, "1")
	p.set(settings.BackupRetryMaxAttempts, "2")
	p.addTarget("t", "mem://t")
	p.addImage("img", 2*blockSize)
	f := p.target("mem://t")
	puts := blockPuts(f)
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindTransient})

	b := p.startBackup("img")
	got := p.waitBackup(b.Name, "Error", 30*time.Second, inState(apitypes.BackupStateError))
	if got.Status.Attempt != 2 || !strings.Contains(got.Status.Error, "gave up after 2 attempts") {
		t.Fatalf("want Error after 2 attempts, got attempt %d, error %q", got.Status.Attempt, got.Status.Error)
	}
	if n := puts.count(); n != 2 {
		t.Fatalf("%d block Puts for 2 attempts", n)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	pol := retryPolicy{MaxAttempts: 10, MaxInterval: 20 * time.Second}
	for attempt := 1; attempt <= 12; attempt++ {
		want := min(retryInitial<<(attempt-1), pol.MaxInterval)
		for range 20 {
			if d := pol.backoff(attempt); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}

func TestAttemptCountSurvivesARestart(t *testing.T) {
	p := newPlane(t)
	p.addTarget("t", "mem://t")
	p.addImage("img", blockSize)
	f := p.target("mem://t")
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Prefix: blocksPrefix, Kind: target.KindTransient})
	// What a daemon that stopped after 9 failed attempts left in etcd.
	b := model.Backup{Name: "img-restart1", BackingImageName: "img", BackupTargetName: "t", TargetURL: "mem://t",
		Status: model.BackupStatus{State: apitypes.BackupStateInProgress, Attempt: 9}}
	if _, err := p.records.Create(p.ctx, b, false); err != nil {
		t.Fatal(err)
	}
	p.ctl.Enqueue(b.Name)
	got := p.waitBackup(b.Name, "Error", 20*time.Second, inState(apitypes.BackupStateError))
	if got.Status.Attempt != 10 || !strings.Contains(got.Status.Error, "gave up after 10 attempts") {
		t.Fatalf("the 10th attempt must be the last: attempt %d, error %q", got.Status.Attempt, got.Status.Error)
	}
}
