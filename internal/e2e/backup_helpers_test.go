package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// generatedName matches "<image>-<8 random [a-z0-9]>".
func generatedName(image string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(image) + "-[a-z0-9]{8}$")
}

// addS3Target creates a secret and an s3:// target on a fresh bucket of a
// versitygw server and waits until it is available.
func (d *daemon) addS3Target(t *testing.T, gw *testenv.S3Server, bucket, name string) string {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"name": name + "-creds", "data": gw.Secret()})
	d.mustCall(200, "POST", "/v1/secrets", string(data))
	url := fmt.Sprintf("s3://%s@%s/", bucket, gw.Region)
	d.mustCall(200, "POST", "/v1/backuptargets", fmt.Sprintf(`{"name":%q,"backupTargetURL":%q,"credentialSecret":%q,"pollInterval":"300"}`, name, url, name+"-creds"))
	d.waitTarget(name, true)
	return url
}

func (d *daemon) addTarget(t *testing.T, name, url string) {
	t.Helper()
	d.mustCall(200, "POST", "/v1/backuptargets", fmt.Sprintf(`{"name":%q,"backupTargetURL":%q}`, name, url))
	d.waitTarget(name, true)
}

// waitTarget polls a target until its availability is want.
func (d *daemon) waitTarget(name string, want bool) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		_, bt := d.call("GET", "/v1/backuptargets/"+name, "")
		last = bt
		if bt["available"] == want {
			return bt
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("target %s available=%v not reached within 30s: %v", name, want, last)
	return nil
}

// waitBackup polls a backup until it reaches state.
func (d *daemon) waitBackup(name, state string, timeout time.Duration) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, b := d.call("GET", "/v1/backupbackingimages/"+name, "")
		if code == 200 {
			last = b
			if b["state"] == state {
				return b
			}
			if b["state"] == "Error" && state != "Error" {
				d.t.Fatalf("backup %s failed: %v", name, b["error"])
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("backup %s not %s within %s: %v", name, state, timeout, last)
	return nil
}

// waitGone polls path until it answers 404.
func (d *daemon) waitGone(path string, timeout time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if code, _ := d.call("GET", path, ""); code == 404 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("%s still exists after %s", path, timeout)
}

// backupOf starts a backup and returns the created record.
func (d *daemon) backupOf(image, body string) map[string]any {
	d.t.Helper()
	return d.mustCall(200, "POST", "/v1/backingimages/"+image+"?action=backupBackingImageCreate", body)
}

// restoreAndCheck restores backup bbi as image and checks its checksum.
func (d *daemon) restoreAndCheck(bbi, image, engine, wantSum string) {
	d.t.Helper()
	d.mustCall(200, "POST", "/v1/backupbackingimages/"+bbi+"?action=backupBackingImageRestore", fmt.Sprintf(`{"name":%q,"dataEngine":%q}`, image, engine))
	bi := d.waitImage(image, 2*time.Minute, allCopies("ready"))
	if bi["currentChecksum"] != wantSum {
		d.t.Fatalf("restored %s from %s: checksum %v, want %s", image, bbi, bi["currentChecksum"], wantSum)
	}
}

// createDownload creates a download image and waits for it to be ready.
func (d *daemon) createDownload(name, url string) map[string]any {
	d.t.Helper()
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"download","parameters":{"url":%q}}`, name, url))
	return d.waitImage(name, time.Minute, allCopies("ready"))
}

// deleteImage deletes an image and waits until it is gone.
func (d *daemon) deleteImage(name string) {
	d.t.Helper()
	d.mustCall(200, "DELETE", "/v1/backingimages/"+name, "")
	d.waitGone("/v1/backingimages/"+name, 30*time.Second)
}
