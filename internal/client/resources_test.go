package client_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestTargetsSecretsSettings(t *testing.T) {
	c := newServer(t)
	ctx := context.Background()
	s, err := c.CreateSecret(ctx, apitypes.SecretCreateInput{Name: "creds", Data: map[string]string{"AWS_ACCESS_KEY_ID": "k"}})
	if err != nil || len(s.Keys) != 1 || s.Keys[0] != "AWS_ACCESS_KEY_ID" {
		t.Fatalf("secret: %v %+v", err, s)
	}
	url := "file://" + t.TempDir()
	if _, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "nas", BackupTargetURL: url, CredentialSecret: "creds"}); err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateBackupTarget(ctx, "nas", apitypes.BackupTargetInput{Name: "nas", BackupTargetURL: url, PollInterval: "60"})
	if err != nil || upd.BackupTargetURL != url || upd.CredentialSecret != "" || upd.PollInterval != "1m0s" {
		t.Fatalf("update: %v %+v", err, upd)
	}
	if synced, err := c.SyncBackupTarget(ctx, "nas"); err != nil || !synced.Available {
		t.Fatalf("sync: %v %+v", err, synced)
	}
	if ts, err := c.ListBackupTargets(ctx); err != nil || len(ts) != 2 {
		t.Fatalf("list targets: %v %+v", err, ts)
	}
	if err := c.DeleteBackupTarget(ctx, "nas"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.RekeySecrets(ctx); err != nil || n != 1 {
		t.Fatalf("rekey: %d %v", n, err)
	}
	if err := c.DeleteSecret(ctx, "creds"); err != nil {
		t.Fatal(err)
	}

	set, err := c.UpdateSetting(ctx, "backup-concurrent-limit", "6")
	if err != nil || set.Value != "6" {
		t.Fatalf("setting: %v %+v", err, set)
	}
	if _, err := c.UpdateSetting(ctx, "backup-concurrent-limit", "many"); !hasStatus(err, 422) {
		t.Fatalf("bad setting: want 422, got %v", err)
	}
}

func TestUpdateNodeDisks(t *testing.T) {
	c := newServer(t)
	ctx := context.Background()
	nodes, err := c.ListNodes(ctx)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes: %v %+v", err, nodes)
	}
	node := nodes[0]
	disks := map[string]apitypes.DiskSpec{}
	for name, d := range node.Disks {
		disks[name] = d.DiskSpec
	}
	extra := filepath.Join(t.TempDir(), "extra")
	if err := os.Mkdir(extra, 0o750); err != nil {
		t.Fatal(err)
	}
	disks["extra"] = apitypes.DiskSpec{Path: extra, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}
	n, err := c.UpdateNodeDisks(ctx, node.Name, apitypes.DiskUpdateInput{Disks: disks})
	if err != nil || len(n.Disks) != len(node.Disks)+1 || n.Disks["extra"].DiskUUID == "" || n.Disks["extra"].Path != extra {
		t.Fatalf("disk update: %v %+v", err, n)
	}
	got, err := c.GetNode(ctx, node.Name)
	if err != nil || got.Disks["extra"].DiskUUID != n.Disks["extra"].DiskUUID {
		t.Fatalf("get after update: %v %+v", err, got)
	}
	bad := map[string]apitypes.DiskSpec{"rel": {Path: "relative/path"}}
	if _, err := c.UpdateNodeDisks(ctx, node.Name, apitypes.DiskUpdateInput{Disks: bad}); !hasStatus(err, 422) {
		t.Fatalf("relative disk path: want 422, got %v", err)
	}
}
