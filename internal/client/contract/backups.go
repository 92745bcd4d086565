package contract

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

func backupScenarios() []Scenario {
	return []Scenario{
		{"backups/create-wait-verify-restore-delete", backupLifecycle},
		{"backups/named-on-two-targets", backupNamedTwoTargets},
		{"backups/batch", backupBatch},
		{"backups/errors", backupErrors},
	}
}

func waitBackup(t *testing.T, c *client.Client, name string) *apitypes.BackupBackingImage {
	t.Helper()
	b, err := c.WaitBackup(waitCtx(t), name, client.BackupCompleted, client.Poll[*apitypes.BackupBackingImage]{Interval: fastPoll})
	if err != nil {
		t.Fatalf("wait for backup %s: %v", name, err)
	}
	return b
}

// checkCompleted fails t unless b is a completed backup of bi.
func checkCompleted(t *testing.T, b *apitypes.BackupBackingImage, bi *apitypes.BackingImage, target string) {
	t.Helper()
	if b.State != apitypes.BackupStateCompleted || b.Progress != 100 || b.BackingImageName != bi.Name ||
		b.BackupTargetName != target || b.Size != bi.Size || b.Checksum != bi.CurrentChecksum || b.URL == "" {
		t.Fatalf("backup of %s (size %d) to %s: %+v", bi.Name, bi.Size, target, b)
	}
}

// backupLifecycle: a backup with a generated name goes to Completed with
// the image's size and checksum, a second one of the same image and target
// is a 409 naming the first, list filters find it, verify passes, a
// restore brings back the same bytes, and the backup deletes.
func backupLifecycle(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	data := imageData(4, 2<<20+777)
	bi := uploadImage(t, c, "c-bk", data)
	b, err := c.CreateBackup(ctx, "c-bk", apitypes.BackupBackingImageCreateInput{Labels: map[string]string{"tier": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Name, "c-bk-") || len(b.Name) <= len("c-bk-") || b.BackingImageName != "c-bk" || b.BackupTargetName != "default" {
		t.Fatalf("created: %+v", b)
	}
	_, err = c.CreateBackup(ctx, "c-bk", apitypes.BackupBackingImageCreateInput{BackupTargetName: "default"})
	wantStatus(t, "a second backup to the same target", err, http.StatusConflict, b.Name)

	var states []string
	done, err := c.WaitBackup(ctx, b.Name, client.BackupCompleted, client.Poll[*apitypes.BackupBackingImage]{Interval: fastPoll,
		Observe: func(b *apitypes.BackupBackingImage) { states = append(states, b.State) }})
	if err != nil || len(states) == 0 || states[len(states)-1] != apitypes.BackupStateCompleted {
		t.Fatalf("wait: %v, states seen %v", err, states)
	}
	checkCompleted(t, done, bi, "default")
	if done.Labels["tier"] != "gold" {
		t.Fatalf("labels: %v", done.Labels)
	}
	got, err := c.GetBackup(ctx, b.Name)
	if err != nil {
		t.Fatal(err)
	}
	checkCompleted(t, got, bi, "default")
	checkBackupLists(t, c, b.Name)

	rep, err := c.VerifyBackup(ctx, b.Name)
	if err != nil || !rep.OK || !rep.ChecksumMatch || rep.Blocks < 1 || len(rep.BadBlocks) != 0 || rep.Checksum != bi.CurrentChecksum || rep.Name != b.Name {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	restored, err := c.RestoreBackup(ctx, b.Name, apitypes.BackingImageRestoreInput{Name: "c-bk-restored"})
	if err != nil || restored.Name != "c-bk-restored" || restored.SourceType != apitypes.SourceRestore ||
		restored.ExpectedChecksum != bi.CurrentChecksum || restored.Parameters["backup-url"] != done.URL {
		t.Fatalf("restore: %v %+v", err, restored)
	}
	_, err = c.RestoreBackup(ctx, b.Name, apitypes.BackingImageRestoreInput{})
	wantStatus(t, "restore over the original image", err, http.StatusConflict, "c-bk")
	_, err = c.RestoreBackup(ctx, b.Name, apitypes.BackingImageRestoreInput{Name: "c-bk-restored"})
	wantStatus(t, "restore over an existing image", err, http.StatusConflict, "c-bk-restored")
	ready, err := c.WaitBackingImage(ctx, "c-bk-restored", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if err != nil || ready.CurrentChecksum != bi.CurrentChecksum || ready.Size != bi.Size {
		t.Fatalf("restored image: %v %+v", err, ready)
	}
	if !bytes.Equal(download(t, c, "c-bk-restored"), data) {
		t.Fatal("restored content differs from the original")
	}

	if err := c.DeleteBackup(ctx, b.Name, false); err != nil {
		t.Fatal(err)
	}
	eventuallyGone(t, "backup "+b.Name, func() error { _, err := c.GetBackup(ctx, b.Name); return err })
	wantStatus(t, "delete a deleted backup", c.DeleteBackup(ctx, b.Name, false), http.StatusNotFound, b.Name)
}

// checkBackupLists: the filters of ListBackups find name and only what
// matches.
func checkBackupLists(t *testing.T, c *client.Client, name string) {
	t.Helper()
	ctx := waitCtx(t)
	byImage, err := c.ListBackups(ctx, client.BackupFilter{BackingImageName: "c-bk"})
	if err != nil || len(byImage) != 1 || byImage[0].Name != name {
		t.Fatalf("list by image: %v %+v", err, byImage)
	}
	both, err := c.ListBackups(ctx, client.BackupFilter{BackingImageName: "c-bk", BackupTargetName: "default"})
	if err != nil || len(both) != 1 {
		t.Fatalf("list by image and target: %v %+v", err, both)
	}
	none, err := c.ListBackups(ctx, client.BackupFilter{BackingImageName: "c-bk", BackupTargetName: "c-no-target"})
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("list by an unknown target: %v %+v", err, none)
	}
	all, err := c.ListBackups(ctx, client.BackupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if b.Name == name {
			return
		}
	}
	t.Fatalf("unfiltered list lacks %s: %+v", name, all)
}

// backupNamedTwoTargets: a given name is used as is; the same image may
// have one backup on each of two targets; a local-only delete removes the
// record.
func backupNamedTwoTargets(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	bi := uploadImage(t, c, "c-two", imageData(5, 1<<20))
	if _, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-second", BackupTargetURL: "file://" + t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	named, err := c.CreateBackup(ctx, "c-two", apitypes.BackupBackingImageCreateInput{Name: "c-two-weekly", BackupTargetName: "c-second"})
	if err != nil || named.Name != "c-two-weekly" || named.BackupTargetName != "c-second" {
		t.Fatalf("named backup: %v %+v", err, named)
	}
	same, err := c.CreateBackup(ctx, "c-two", apitypes.BackupBackingImageCreateInput{Name: "c-two", BackupTargetName: "default"})
	if err != nil || same.Name == "c-two" || !strings.HasPrefix(same.Name, "c-two-") {
		t.Fatalf("a name equal to the image's must be replaced by a generated one: %v %+v", err, same)
	}
	checkCompleted(t, waitBackup(t, c, "c-two-weekly"), bi, "c-second")
	checkCompleted(t, waitBackup(t, c, same.Name), bi, "default")
	list, err := c.ListBackups(ctx, client.BackupFilter{BackupTargetName: "c-second"})
	if err != nil || len(list) != 1 || list[0].Name != "c-two-weekly" {
		t.Fatalf("list by target: %v %+v", err, list)
	}
	for _, name := range []string{"c-two-weekly", same.Name} {
		if err := c.DeleteBackup(ctx, name, true); err != nil {
			t.Fatal(err)
		}
		eventuallyGone(t, "backup "+name, func() error { _, err := c.GetBackup(ctx, name); return err })
	}
}

// backupBatch: one result per image in request order; a missing image is
// a 404 in its result, not an error of the call; an empty batch is a 422.
func backupBatch(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	bi := uploadImage(t, c, "c-batch", imageData(6, 1<<20))
	res, err := c.CreateBackups(ctx, apitypes.BackupBackingImageBatchCreateInput{
		BackingImageNames: []string{"c-batch", "c-batch-missing"}, BackupTargetName: "default"})
	if err != nil || len(res) != 2 {
		t.Fatalf("batch: %v %+v", err, res)
	}
	if res[0].BackingImageName != "c-batch" || res[0].Error != nil || res[0].BackupBackingImage == nil ||
		!strings.HasPrefix(res[0].BackupBackingImage.Name, "c-batch-") {
		t.Fatalf("first result: %+v", res[0])
	}
	if res[1].BackingImageName != "c-batch-missing" || res[1].BackupBackingImage != nil || res[1].Error == nil ||
		res[1].Error.Status != http.StatusNotFound || !strings.Contains(res[1].Error.Message, "c-batch-missing") {
		t.Fatalf("second result: %+v", res[1])
	}
	checkCompleted(t, waitBackup(t, c, res[0].BackupBackingImage.Name), bi, "default")
	again, err := c.CreateBackups(ctx, apitypes.BackupBackingImageBatchCreateInput{
		BackingImageNames: []string{"c-batch"}, BackupTargetName: "default"})
	if err != nil || len(again) != 1 || again[0].Error == nil || again[0].Error.Status != http.StatusConflict {
		t.Fatalf("batch again: %v %+v", err, again)
	}
	_, err = c.CreateBackups(ctx, apitypes.BackupBackingImageBatchCreateInput{BackupTargetName: "default"})
	wantStatus(t, "an empty batch", err, http.StatusUnprocessableEntity)
}

// backupErrors: missing image, target or backup are 404s; a backup of an
// image with no ready copy is a 409; bad names are 422s.
func backupErrors(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	_, err := c.CreateBackup(ctx, "c-bk-missing", apitypes.BackupBackingImageCreateInput{})
	wantStatus(t, "back up a missing image", err, http.StatusNotFound, "c-bk-missing")
	uploadImage(t, c, "c-bkerr", imageData(7, 4096))
	_, err = c.CreateBackup(ctx, "c-bkerr", apitypes.BackupBackingImageCreateInput{BackupTargetName: "c-nowhere"})
	wantStatus(t, "back up to a missing target", err, http.StatusNotFound, "c-nowhere")
	_, err = c.CreateBackup(ctx, "c-bkerr", apitypes.BackupBackingImageCreateInput{Name: "Bad Name"})
	wantStatus(t, "back up under an invalid name", err, http.StatusUnprocessableEntity)
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-notready", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateBackup(ctx, "c-notready", apitypes.BackupBackingImageCreateInput{})
	wantStatus(t, "back up an image with no ready copy", err, http.StatusConflict, "c-notready")
	list, err := c.ListBackups(ctx, client.BackupFilter{BackingImageName: "c-bkerr"})
	if err != nil || len(list) != 0 {
		t.Fatalf("refused backups were recorded: %v %+v", err, list)
	}

	_, err = c.GetBackup(ctx, "c-nobackup")
	wantStatus(t, "get a missing backup", err, http.StatusNotFound, "c-nobackup")
	wantStatus(t, "delete a missing backup", c.DeleteBackup(ctx, "c-nobackup", false), http.StatusNotFound, "c-nobackup")
	_, err = c.VerifyBackup(ctx, "c-nobackup")
	wantStatus(t, "verify a missing backup", err, http.StatusNotFound, "c-nobackup")
	_, err = c.RestoreBackup(ctx, "c-nobackup", apitypes.BackingImageRestoreInput{Name: "c-r"})
	wantStatus(t, "restore a missing backup", err, http.StatusNotFound, "c-nobackup")
	_, err = c.RestoreBackup(ctx, "c-nobackup", apitypes.BackingImageRestoreInput{Name: "Bad Name"})
	wantStatus(t, "restore under an invalid name", err, http.StatusUnprocessableEntity)
}
