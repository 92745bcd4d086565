package client_test

import (
	"context"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestTargetsSecretsSettingsNodes(t *testing.T) {
	f, c := newPair(t)
	ctx := context.Background()
	if _, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "s3", BackupTargetURL: "s3://b@us/"}); err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateBackupTarget(ctx, "s3", apitypes.BackupTargetInput{Name: "s3", BackupTargetURL: "s3://c@us/", PollInterval: "60"})
	if err != nil || upd.BackupTargetURL != "s3://c@us/" {
		t.Fatalf("update: %v %+v", err, upd)
	}
	if synced, err := c.SyncBackupTarget(ctx, "s3"); err != nil || !synced.Available {
		t.Fatalf("sync: %v %+v", err, synced)
	}
	if ts, err := c.ListBackupTargets(ctx); err != nil || len(ts) != 2 {
		t.Fatalf("list targets: %v %+v", err, ts)
	}
	if err := c.DeleteBackupTarget(ctx, "s3"); err != nil {
		t.Fatal(err)
	}

	s, err := c.CreateSecret(ctx, apitypes.SecretCreateInput{Name: "creds", Data: map[string]string{"AWS_ACCESS_KEY_ID": "k"}})
	if err != nil || len(s.Keys) != 1 || f.SecretData("creds")["AWS_ACCESS_KEY_ID"] != "k" {
		t.Fatalf("secret: %v %+v", err, s)
	}
	if err := c.DeleteSecret(ctx, "creds"); err != nil {
		t.Fatal(err)
	}

	set, err := c.UpdateSetting(ctx, "concurrent-backup-limit", "4")
	if err != nil || set.Value != "4" {
		t.Fatalf("setting: %v %+v", err, set)
	}
	if _, err := c.UpdateSetting(ctx, "concurrent-backup-limit", "many"); !hasStatus(err, 422) {
		t.Fatalf("bad setting: want 422, got %v", err)
	}

	n, err := c.UpdateNodeDisks(ctx, "node-1", apitypes.DiskUpdateInput{Disks: map[string]apitypes.DiskSpec{
		"fast": {Path: "/dev/nvme0n1", DiskType: apitypes.DiskTypeBlock}}})
	if err != nil || len(n.Disks) != 1 || n.Disks["fast"].DiskType != apitypes.DiskTypeBlock {
		t.Fatalf("disk update: %v %+v", err, n)
	}
}
