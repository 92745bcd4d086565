package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// s3Blocks counts the block objects versitygw stores for bucket.
func s3Blocks(t *testing.T, gw *testenv.S3Server, bucket string) int {
	t.Helper()
	n := 0
	root := filepath.Join(gw.Dir, bucket, "backupstore/backing-images/blocks")
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".blk") {
			n++
		}
		return nil
	})
	return n
}

// getBackup returns the backup's current representation.
func (d *daemon) getBackup(name string) map[string]any {
	d.t.Helper()
	return d.mustCall(200, "GET", "/v1/backupbackingimages/"+name, "")
}

// waitBackupMid waits until the backup is InProgress with at least pct
// progress; it fails the test if the backup finished first.
func (d *daemon) waitBackupMid(name string, pct float64) {
	d.t.Helper()
	testenv.Eventually(d.t, 2*time.Minute, "backup "+name+" in progress", func() (bool, string) {
		b := d.getBackup(name)
		if b["state"] == "Completed" || b["state"] == "Error" {
			d.t.Fatalf("backup %s is %s before the outage started; make the image larger", name, b["state"])
		}
		p, _ := b["progress"].(float64)
		return b["state"] == "InProgress" && p >= pct, fmt.Sprintf("%v %v%%", b["state"], p)
	})
}

var uploadedRE = regexp.MustCompile(`^(\d+) blocks uploaded .*, (\d+) already on the target`)

func TestBackupAndRestoreHealAfterS3Outage(t *testing.T) {
	gw := testenv.VersityGW(t)
	bucket := gw.NewBucket(t)
	d := startDaemon(t, "")
	d.addS3Target(t, gw, bucket, "s3")
	d.mustCall(200, "PUT", "/v1/settings/backup-compression-method", `{"value":"gzip"}`)
	d.mustCall(200, "PUT", "/v1/settings/backup-concurrent-limit", `{"value":"1"}`)
	d.mustCall(200, "PUT", "/v1/settings/restore-concurrent-limit", `{"value":"1"}`)
	img := filepath.Join(t.TempDir(), "heal.raw")
	writeImage(t, img, 256<<20, 256<<20, 71)
	sum := sha512File(t, img)
	d.createDownload("heal", serveFile(t, img).URL)

	name := d.backupOf("heal", `{"backupTargetName":"s3"}`)["name"].(string)
	d.waitBackupMid(name, 10)
	gw.Stop()
	stored := s3Blocks(t, gw, bucket) // nothing changes while the server is down
	if stored == 0 {
		t.Fatalf("no block was stored before the outage")
	}
	testenv.Eventually(t, time.Minute, "the backup to notice the outage and wait to retry", func() (bool, string) {
		b := d.getBackup(name)
		if b["state"] != "InProgress" {
			t.Fatalf("during the outage the backup must stay InProgress, got %v: %v", b["state"], b["error"])
		}
		msg, _ := b["error"].(string)
		return strings.Contains(msg, "retrying in"), msg
	})
	time.Sleep(10 * time.Second) // the outage itself, not a wait for a condition
	gw.Start()
	done := d.waitBackup(name, "Completed", 5*time.Minute)
	total := s3Blocks(t, gw, bucket)
	msgs, _ := done["messages"].(map[string]any)
	result, _ := msgs["result"].(string)
	m := uploadedRE.FindStringSubmatch(result)
	if m == nil {
		t.Fatalf("result message %q", result)
	}
	uploaded, _ := strconv.Atoi(m[1])
	known, _ := strconv.Atoi(m[2])
	t.Logf("%d blocks stored before the outage, %d after; the resumed attempt uploaded %d and found %d", stored, total, uploaded, known)
	if uploaded != total-stored || known != stored {
		t.Fatalf("the resumed backup uploaded %d blocks and found %d, but %d were stored before the outage and %d after: blocks were re-sent",
			uploaded, known, stored, total)
	}

	// The same outage in the middle of a restore.
	d.deleteImage("heal")
	d.mustCall(200, "POST", "/v1/backupbackingimages/"+name+"?action=backupBackingImageRestore", `{"name":"healed"}`)
	d.waitImage("healed", 2*time.Minute, func(bi map[string]any) bool {
		if anyCopy("ready")(bi) {
			t.Fatalf("the restore finished before the outage started; make the image larger")
		}
		return progressOf(bi) >= 10
	})
	gw.Stop()
	time.Sleep(10 * time.Second) // the outage
	if bi := d.getImage("healed"); anyCopy("failed")(bi) {
		t.Fatalf("the restore failed during the outage: %v", copies(bi))
	}
	gw.Start()
	bi := d.waitImage("healed", 5*time.Minute, func(bi map[string]any) bool {
		if anyCopy("failed")(bi) {
			t.Fatalf("the restore failed after the outage: %v", copies(bi))
		}
		return allCopies("ready")(bi)
	})
	if bi["currentChecksum"] != sum {
		t.Fatalf("restored checksum %v, want %s", bi["currentChecksum"], sum)
	}
}

func (d *daemon) getImage(name string) map[string]any {
	d.t.Helper()
	return d.mustCall(200, "GET", "/v1/backingimages/"+name, "")
}
