package e2e

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestSecretsEncryptedAtRest: a credential secret never reaches the
// embedded etcd's files in plaintext, the target using it keeps working
// across restarts, and `plinth secret rekey` moves it to a new key.
func TestSecretsEncryptedAtRest(t *testing.T) {
	gw := testenv.VersityGW(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	dir := t.TempDir()
	img := filepath.Join(dir, "a.raw")
	writeImage(t, img, 3<<20, 3<<20, 41)
	d.createDownload("img-a", serveFile(t, img).URL)
	url := d.addS3Target(t, gw, gw.NewBucket(t), "s3")
	b := d.backupOf("img-a", `{"backupTargetName":"s3"}`)
	d.waitBackup(b["name"].(string), "Completed", time.Minute)

	d.stop()
	etcdDir := filepath.Join(dataDir, "etcd")
	// The scan can see plaintext: the target's URL is stored as is.
	if !filesContain(t, etcdDir, url) {
		t.Fatalf("the scan of %s does not find the target URL %s: it could not find a secret either", etcdDir, url)
	}
	for _, value := range []string{gw.SecretKey, gw.AccessKey} {
		if filesContain(t, etcdDir, value) {
			t.Fatalf("a secret value is in plaintext in the embedded etcd's files under %s", etcdDir)
		}
	}
	keyFile := filepath.Join(dataDir, "secrets.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v %v, want mode 0600", keyFile, fi, err)
	}
	before := keyIDs(t, keyFile)

	d.start()
	d.mustCall(400, "POST", "/v1/secrets?action=nope", "")
	out, err := d.plinthCLI("secret", "rekey")
	if err != nil || !strings.Contains(out, "1 rewritten") {
		t.Fatalf("plinth secret rekey: %v\n%s", err, out)
	}
	after := keyIDs(t, keyFile)
	if len(before) != 1 || len(after) != 1 || after[0] == before[0] {
		t.Fatalf("key ids before rekey %v, after %v: want one new key, the old one gone", before, after)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file after rekey: %v %v, want mode 0600", fi, err)
	}

	// Restarted on the rekeyed file, the target still authenticates.
	d.restart()
	img2 := filepath.Join(dir, "b.raw")
	writeImage(t, img2, 2<<20, 2<<20, 42)
	d.createDownload("img-b", serveFile(t, img2).URL)
	b2 := d.backupOf("img-b", `{"backupTargetName":"s3"}`)
	d.waitBackup(b2["name"].(string), "Completed", time.Minute)
	d.waitTarget("s3", true)
}

// filesContain reports whether any file under dir contains s.
func filesContain(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || found {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = bytes.Contains(data, []byte(s))
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return found
}

func keyIDs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys []struct {
			ID string `json:"id"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("key file: %v", err)
	}
	var ids []string
	for _, k := range f.Keys {
		ids = append(ids, k.ID)
	}
	return ids
}
