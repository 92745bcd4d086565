package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func TestSecretCreateNeverPrintsValues(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	ctx := context.Background()
	envFile := filepath.Join(t.TempDir(), "s3.env")
	if err := os.WriteFile(envFile, []byte("# creds\nexport AWS_ENDPOINTS=\"http://127.0.0.1:7000\"\n\nREGION=us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	te.env.Stdin = strings.NewReader("very-secret-key\n")
	o := SecretCreateOptions{Name: "s3", Literals: []string{"AWS_ACCESS_KEY_ID=AKIA123"},
		Files: []string{"AWS_SECRET_ACCESS_KEY=-"}, EnvFile: envFile}
	if err := SecretCreate(ctx, te.env, o); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AWS_ACCESS_KEY_ID": "AKIA123", "AWS_SECRET_ACCESS_KEY": "very-secret-key",
		"AWS_ENDPOINTS": "http://127.0.0.1:7000", "REGION": "us-east-1"}
	got := te.fake.SecretData("s3")
	for k, v := range want {
		if got[k] != v {
			t.Errorf("key %s = %q, want %q", k, got[k], v)
		}
	}
	if err := SecretList(ctx, te.env); err != nil {
		t.Fatal(err)
	}
	all := te.out.String() + te.err.String()
	for _, v := range want {
		if strings.Contains(all, v) && v != "us-east-1" {
			t.Errorf("value %q printed:\n%s", v, all)
		}
	}
	if !strings.Contains(all, "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("keys not printed:\n%s", all)
	}
	err := SecretCreate(ctx, te.env, SecretCreateOptions{Name: "x", Literals: []string{"hunter2"}})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed literal: %v", err)
	}
	if err := SecretCreate(ctx, te.env, SecretCreateOptions{Name: "x", Literals: []string{"A=1", "A=2"}}); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if err := SecretCreate(ctx, te.env, SecretCreateOptions{Name: "x", Files: []string{"A=-", "B=-"}}); err == nil {
		t.Fatal("stdin read twice")
	}
	if err := SecretDelete(ctx, te.env, "s3"); err != nil || te.fake.SecretData("s3") != nil {
		t.Fatalf("delete: %v", err)
	}
}

func TestParseDiskSpec(t *testing.T) {
	name, d, err := ParseDiskSpec("fast=/dev/nvme1n1,type=block,reserved=10Gi,scheduling=false,tags=ssd;nvme")
	if err != nil || name != "fast" || d.Path != "/dev/nvme1n1" || d.DiskType != "block" ||
		d.StorageReserved != 10<<30 || d.AllowScheduling || len(d.Tags) != 2 {
		t.Fatalf("%s %+v %v", name, d, err)
	}
	if _, d, err := ParseDiskSpec("blk=/var/lib/plinth/blk.img,type=block,size=8Gi"); err != nil || d.Size != 8<<30 {
		t.Fatalf("size: %+v %v", d, err)
	}
	if _, d, _ := ParseDiskSpec("default=/var/lib/plinth"); d.DiskType != "filesystem" || !d.AllowScheduling {
		t.Fatalf("defaults: %+v", d)
	}
	for _, bad := range []string{"/path", "a=/p,type=zfs", "a=/p,reserved=lots", "a=/p,color=red"} {
		if _, _, err := ParseDiskSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNodeDiskUpdateFromFlagsAndFile(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	ctx := context.Background()
	o := NodeDiskUpdateOptions{Node: "node-1", Disks: []string{"default=/var/lib/plinth", "fast=/dev/nvme1n1,type=block"}}
	if err := NodeDiskUpdate(ctx, te.env, o); err != nil {
		t.Fatal(err)
	}
	if n := te.fake.Node("node-1"); len(n.Disks) != 2 || n.Disks["fast"].DiskType != "block" || n.Disks["default"].DiskUUID != "disk-uuid-1" {
		t.Fatalf("node: %+v", n.Disks)
	}
	_, disks, _ := strings.Cut(te.out.String(), "Disks:\n")
	columnsAligned(t, disks)
	te.env.Stdin = strings.NewReader(`{"disks":{"only":{"path":"/data","diskType":"filesystem","allowScheduling":true}}}`)
	if err := NodeDiskUpdate(ctx, te.env, NodeDiskUpdateOptions{Node: "node-1", File: "-"}); err != nil {
		t.Fatal(err)
	}
	if n := te.fake.Node("node-1"); len(n.Disks) != 1 || n.Disks["only"].Path != "/data" {
		t.Fatalf("node after file: %+v", n.Disks)
	}
	if err := NodeDiskUpdate(ctx, te.env, NodeDiskUpdateOptions{Node: "node-1"}); err == nil {
		t.Fatal("no disks accepted")
	}
	te.out.Reset()
	if err := NodeList(ctx, te.env); err != nil || !strings.Contains(te.out.String(), "node-1") {
		t.Fatalf("list: %v\n%s", err, te.out)
	}
	columnsAligned(t, te.out.String())
}

func TestTargetUpdateKeepsUnsetFields(t *testing.T) {
	te := newTestEnv(t, OutputJSON)
	ctx := context.Background()
	url, secret := "s3://bk@us-east-1/plinth", "s3"
	if _, err := te.env.Client.CreateSecret(ctx, apitypes.SecretCreateInput{Name: secret, Data: map[string]string{"K": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := TargetCreate(ctx, te.env, TargetOptions{Name: "off", URL: &url, Secret: &secret}); err != nil {
		t.Fatal(err)
	}
	poll := "600"
	te.out.Reset()
	if err := TargetUpdate(ctx, te.env, TargetOptions{Name: "off", PollInterval: &poll}); err != nil {
		t.Fatal(err)
	}
	var bt apitypes.BackupTarget
	if err := json.Unmarshal(te.out.Bytes(), &bt); err != nil || bt.BackupTargetURL != url || bt.CredentialSecret != secret || bt.PollInterval != "10m0s" {
		t.Fatalf("updated: %v %+v", err, bt)
	}
	if err := TargetCreate(ctx, te.env, TargetOptions{Name: "nourl"}); err == nil {
		t.Fatal("create without URL accepted")
	}
	te.env.Output = OutputTable
	te.out.Reset()
	if err := TargetList(ctx, te.env); err != nil {
		t.Fatal(err)
	}
	columnsAligned(t, te.out.String())
	if err := TargetSync(ctx, te.env, "off"); err != nil {
		t.Fatal(err)
	}
	if err := TargetDelete(ctx, te.env, "off"); err != nil {
		t.Fatal(err)
	}
	if err := TargetGet(ctx, te.env, "off"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestSettings(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	ctx := context.Background()
	if err := SettingList(ctx, te.env); err != nil {
		t.Fatal(err)
	}
	columnsAligned(t, te.out.String())
	if err := SettingSet(ctx, te.env, "backup-concurrent-limit", "5"); err != nil {
		t.Fatal(err)
	}
	err := SettingSet(ctx, te.env, "backup-concurrent-limit", "lots")
	if err == nil || !strings.Contains(err.Error(), "must be an integer") {
		t.Fatalf("want the server's message, got %v", err)
	}
	te.out.Reset()
	if err := SettingGet(ctx, te.env, "backup-concurrent-limit"); err != nil || !strings.Contains(te.out.String(), "Value:       5") {
		t.Fatalf("get: %v\n%s", err, te.out)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "512": 512, "4K": 4096, "10Gi": 10 << 30, "1TiB": 1 << 40, "3M": 3 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1.5G", "ten"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	for n, want := range map[int64]string{0: "-", 100: "100 B", 1536: "1.5 KiB", 10 << 20: "10.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
