package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

// seedBackupImages seeds images with win ready too (the server backs up
// only images with a ready copy).
func seedBackupImages(te *testEnv) {
	seedImages(te)
	te.fake.PutImage(apitypes.BackingImage{Name: "win", SourceType: apitypes.SourceUpload, DataEngine: "v2"}, nil)
}

func TestBackupBatchPrintsNamesAndErrors(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedBackupImages(te)
	ctx := context.Background()
	err := BackupCreate(ctx, te.env, BackupCreateOptions{Images: []string{"ubuntu-24.04", "ghost", "win"}, Target: "default"})
	if err == nil || !strings.Contains(err.Error(), "1 of 3 backups could not be started") {
		t.Fatalf("want a partial failure, got %v", err)
	}
	out := te.out.String()
	columnsAligned(t, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(strings.Fields(lines[1])[1], "ubuntu-24.04-") ||
		!strings.Contains(lines[2], `backing image "ghost" not found (HTTP 404)`) || !strings.HasPrefix(lines[3], "win") {
		t.Fatalf("batch table:\n%s", out)
	}

	// The same images again: every item conflicts, and JSON has one result each.
	te.env.Output = OutputJSON
	te.out.Reset()
	err = BackupCreate(ctx, te.env, BackupCreateOptions{Images: []string{"ubuntu-24.04", "win"}, Target: "default"})
	if err == nil {
		t.Fatal("second batch succeeded")
	}
	var results []apitypes.BackupBackingImageBatchResult
	if jerr := json.Unmarshal(te.out.Bytes(), &results); jerr != nil || len(results) != 2 ||
		results[0].Error == nil || results[0].Error.Status != 409 || !strings.Contains(results[0].Error.Message, "already has backup") {
		t.Fatalf("json results: %v %+v", jerr, results)
	}
}

func TestBackupSingleWithNameAndWait(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedBackupImages(te)
	ctx := context.Background()
	o := BackupCreateOptions{Images: []string{"win"}, Target: "default", Name: "win-weekly",
		Labels: map[string]string{"tier": "gold"}, Wait: true}
	if err := BackupCreate(ctx, te.env, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(te.out.String(), "win-weekly  Completed") {
		t.Fatalf("output:\n%s", te.out)
	}
	if b := te.fake.Backup("win-weekly"); b == nil || b.Labels["tier"] != "gold" {
		t.Fatalf("stored backup: %+v", b)
	}
	if err := BackupCreate(ctx, te.env, BackupCreateOptions{Images: []string{"a", "b"}, Target: "default", Name: "x"}); err == nil {
		t.Fatal("--name with two images accepted")
	}
	err := BackupCreate(ctx, te.env, BackupCreateOptions{Images: []string{"win"}, Target: "nowhere"})
	if err == nil || !strings.Contains(err.Error(), `backup target "nowhere" not found`) {
		t.Fatalf("want the server's message, got %v", err)
	}
}

func TestBackupListGetRestoreVerifyDelete(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedBackupImages(te)
	ctx := context.Background()
	for _, bi := range []string{"ubuntu-24.04", "win"} {
		if _, err := te.env.Client.CreateBackup(ctx, bi, apitypes.BackupBackingImageCreateInput{BackupTargetName: "default", Name: bi + "-bk"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := BackupList(ctx, te.env, client.BackupFilter{BackingImageName: "win"}); err != nil {
		t.Fatal(err)
	}
	if out := te.out.String(); strings.Contains(out, "ubuntu") || !strings.Contains(out, "win-bk") {
		t.Fatalf("filtered list:\n%s", out)
	}
	columnsAligned(t, te.out.String())
	te.out.Reset()
	if err := BackupGet(ctx, te.env, "win-bk"); err != nil || !strings.Contains(te.out.String(), "Completed") {
		t.Fatalf("get: %v\n%s", err, te.out)
	}
	te.out.Reset()
	if err := BackupRestore(ctx, te.env, BackupRestoreOptions{Backup: "win-bk", Name: "win-2", Wait: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(te.out.String(), "backing image win-2 is ready") {
		t.Fatalf("restore output: %s", te.out)
	}
	err := BackupRestore(ctx, te.env, BackupRestoreOptions{Backup: "win-bk"})
	if err == nil || !strings.Contains(err.Error(), "restore under another --name") {
		t.Fatalf("want conflict message, got %v", err)
	}
	te.out.Reset()
	if err := BackupVerify(ctx, te.env, "win-bk"); err != nil || !strings.Contains(te.out.String(), "OK") {
		t.Fatalf("verify: %v\n%s", err, te.out)
	}
	if err := BackupDelete(ctx, te.env, "win-bk", true); err != nil || te.fake.Backup("win-bk") != nil {
		t.Fatalf("delete: %v", err)
	}
}

func TestBackupVerifyDamagedFails(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedBackupImages(te)
	ctx := context.Background()
	if _, err := te.env.Client.CreateBackup(ctx, "win", apitypes.BackupBackingImageCreateInput{BackupTargetName: "default", Name: "bad-one"}); err != nil {
		t.Fatal(err)
	}
	err := BackupVerify(ctx, te.env, "bad-one")
	if err == nil || !strings.Contains(err.Error(), "damaged: 1 bad blocks") {
		t.Fatalf("got %v", err)
	}
	if out := te.out.String(); !strings.Contains(out, "DAMAGED") || !strings.Contains(out, "checksum mismatch") {
		t.Fatalf("report:\n%s", out)
	}
}
