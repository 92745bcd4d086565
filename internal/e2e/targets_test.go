package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// addSecretTarget creates a target with a credential secret.
func (d *daemon) addSecretTarget(t *testing.T, name, rawURL string, secret map[string]string) {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"name": name + "-creds", "data": secret})
	d.mustCall(200, "POST", "/v1/secrets", string(data))
	d.mustCall(200, "POST", "/v1/backuptargets", fmt.Sprintf(`{"name":%q,"backupTargetURL":%q,"credentialSecret":%q}`, name, rawURL, name+"-creds"))
	d.waitTarget(name, true)
}

// usersScenario is the verification users run: one image backed up to S3
// and to a second target, a duplicate refused, then restored from each.
func usersScenario(t *testing.T, addSecond func(d *daemon)) {
	gw := testenv.VersityGW(t)
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "u.raw")
	writeImage(t, img, 10<<20+9, 6<<20, 77)
	sum := sha512File(t, img)
	d.createDownload("users-img", serveFile(t, img).URL)
	d.addS3Target(t, gw, gw.NewBucket(t), "s3")
	addSecond(d)

	bs := d.backupOf("users-img", `{"backupTargetName":"s3"}`)
	b2 := d.backupOf("users-img", `{"backupTargetName":"second"}`)
	if bs["name"] == b2["name"] || !generatedName("users-img").MatchString(bs["name"].(string)) || !generatedName("users-img").MatchString(b2["name"].(string)) {
		t.Fatalf("names %v and %v: want two distinct generated names", bs["name"], b2["name"])
	}
	d.waitBackup(bs["name"].(string), "Completed", time.Minute)
	d.waitBackup(b2["name"].(string), "Completed", time.Minute)
	code, e := d.call("POST", "/v1/backingimages/users-img?action=backupBackingImageCreate", `{"backupTargetName":"second"}`)
	if code != 409 || !strings.Contains(e["message"].(string), b2["name"].(string)) {
		t.Fatalf("second backup to the same target: %d %v", code, e)
	}
	d.deleteImage("users-img")
	d.restoreAndCheck(bs["name"].(string), "users-img", "v1", sum)
	d.deleteImage("users-img")
	d.restoreAndCheck(b2["name"].(string), "users-img", "v1", sum)
}

func TestUsersScenarioS3AndNFS(t *testing.T) {
	nfs := testenv.Ganesha(t)
	mkdir(t, filepath.Join(nfs.Export, "plinth"))
	usersScenario(t, func(d *daemon) { d.addTarget(t, "second", nfs.URL("plinth").String()) })
}

func TestUsersScenarioS3AndCIFS(t *testing.T) {
	smb := testenv.Samba(t)
	mkdir(t, filepath.Join(smb.Dir, "plinth"))
	usersScenario(t, func(d *daemon) { d.addSecretTarget(t, "second", smb.URL("plinth").String(), smb.Secret()) })
}

func TestUsersScenarioS3AndAzure(t *testing.T) {
	az := testenv.Azurite(t)
	usersScenario(t, func(d *daemon) {
		d.addSecretTarget(t, "second", az.URL(az.NewContainer(t), "plinth").String(), az.Secret())
	})
}

// TestNFSServerOutageAndRecovery stops the NFS server under a target.
func TestNFSServerOutageAndRecovery(t *testing.T) {
	nfs := testenv.Ganesha(t)
	mkdir(t, filepath.Join(nfs.Export, "plinth"))
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "o.raw")
	writeImage(t, img, 4<<20, 4<<20, 5)
	d.createDownload("out-a", serveFile(t, img).URL)
	d.createDownload("out-b", serveFile(t, img).URL)
	d.addTarget(t, "nfs", nfs.URL("plinth").String())
	first := d.backupOf("out-a", `{"backupTargetName":"nfs"}`)
	d.waitBackup(first["name"].(string), "Completed", time.Minute)

	nfs.Stop()
	d.mustCall(200, "POST", "/v1/backuptargets/nfs?action=backupTargetSync", `{}`)
	start := time.Now()
	bt := d.waitTarget("nfs", false)
	if time.Since(start) > 10*time.Second || bt["message"] == "" {
		t.Fatalf("unavailable after %s with message %q: want within 10s, with a reason", time.Since(start), bt["message"])
	}
	if code, e := d.call("POST", "/v1/backingimages/out-b?action=backupBackingImageCreate", `{"backupTargetName":"nfs"}`); code != 503 {
		t.Fatalf("backup to an unavailable target: %d %v, want 503", code, e)
	}
	list := d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=nfs", "")
	if len(list["data"].([]any)) != 1 {
		t.Fatalf("backups of the unavailable target must stay listed: %v", list)
	}

	nfs.Start()
	d.waitTarget("nfs", true) // no intervention: the controller re-checks
	second := d.backupOf("out-b", `{"backupTargetName":"nfs"}`)
	d.waitBackup(second["name"].(string), "Completed", time.Minute)
}

// TestTargetLifecycle covers URL validation and what URL changes and
// deletes do to local records.
func TestTargetLifecycle(t *testing.T) {
	d := startDaemon(t, "")
	for _, bad := range []string{"ftp://x/y", "s3://bucket@us-east-1/a$b", "nfs://h:/a,b", "s3://nobucket/"} {
		if code, e := d.call("POST", "/v1/backuptargets", fmt.Sprintf(`{"name":"bad","backupTargetURL":%q}`, bad)); code < 400 || code >= 500 {
			t.Errorf("target URL %s: %d %v, want 4xx", bad, code, e)
		}
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	d.addTarget(t, "lc", "file://"+dirA)
	if code, _ := d.call("POST", "/v1/backuptargets", fmt.Sprintf(`{"name":"lc2","backupTargetURL":%q}`, "file://"+dirA)); code != 409 {
		t.Errorf("same URL twice: %d, want 409", code)
	}
	img := filepath.Join(t.TempDir(), "l.raw")
	writeImage(t, img, 2<<20, 2<<20, 8)
	d.createDownload("lc-img", serveFile(t, img).URL)
	b := d.backupOf("lc-img", `{"backupTargetName":"lc"}`)
	d.waitBackup(b["name"].(string), "Completed", time.Minute)
	count := func() int {
		l := d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=lc", "")
		return len(l["data"].([]any))
	}
	waitCount := func(want int) {
		deadline := time.Now().Add(20 * time.Second)
		for count() != want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if got := count(); got != want {
			t.Fatalf("target lc has %d local backups, want %d", got, want)
		}
	}
	update := func(u string) {
		d.mustCall(200, "POST", "/v1/backuptargets/lc?action=backupTargetUpdate", fmt.Sprintf(`{"backupTargetURL":%q}`, u))
	}
	all := d.mustCall(200, "PUT", "/v1/backuptargets", `{"syncAllBackupTargets":true}`)
	if all["type"] != "collection" || len(all["data"].([]any)) < 2 {
		t.Fatalf("sync all: %v", all)
	}
	update("file://" + filepath.Join(dirB, "missing")) // invalid: unavailable, records kept
	d.waitTarget("lc", false)
	waitCount(1)
	update("file://" + dirB) // another valid, empty store: resynced
	d.waitTarget("lc", true)
	waitCount(0)
	update("file://" + dirA) // back: its backup is found again
	waitCount(1)
	update("") // empty: local records removed, remote untouched
	waitCount(0)
	update("file://" + dirA)
	waitCount(1)
	d.mustCall(200, "DELETE", "/v1/backuptargets/lc", "")
	d.waitGone("/v1/backuptargets/lc", 20*time.Second)
	if code, _ := d.call("DELETE", "/v1/backuptargets/default", ""); code < 400 || code >= 500 {
		t.Errorf("deleting default: %d, want 4xx", code)
	}
	d.addTarget(t, "again", "file://"+dirA) // remote data untouched by the delete
	l := d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=again", "")
	deadline := time.Now().Add(20 * time.Second)
	for len(l["data"].([]any)) != 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		l = d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=again", "")
	}
	if len(l["data"].([]any)) != 1 {
		t.Fatalf("remote backup gone after deleting the target: %v", l)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
}
