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

// outage is a target server that can be stopped and started, and a count
// of the block objects it stores.
type outage struct {
	target      string
	stop, start func()
	blocks      func() int
}

func TestBackupAndRestoreHealAfterS3Outage(t *testing.T) {
	gw := testenv.VersityGW(t)
	bucket := gw.NewBucket(t)
	d := startDaemon(t, "")
	d.addS3Target(t, gw, bucket, "s3")
	healScenario(t, d, outage{target: "s3", stop: gw.Stop, start: gw.Start,
		blocks: func() int { return s3Blocks(t, gw, bucket) }})
}

func TestBackupAndRestoreHealAfterNFSOutage(t *testing.T) {
	nfs := testenv.Ganesha(t)
	mkdir(t, filepath.Join(nfs.Export, "plinth"))
	d := startDaemon(t, "")
	d.addTarget(t, "nfs", nfs.URL("plinth").String())
	healScenario(t, d, outage{target: "nfs", stop: nfs.Stop, start: nfs.Start,
		blocks: func() int { return countBlocks(t, filepath.Join(nfs.Export, "plinth")) }})
}

// healScenario stops the target's server for 10 s in the middle of a
// 256 MiB backup, then of its restore: both must finish by themselves, the
// backup re-sending no block that was stored before the outage.
// PLINTH_HEAL_ACCEPTANCE=1 runs the acceptance sizes instead: 1 GiB and a
// 30 s outage.
func healScenario(t *testing.T, d *daemon, o outage) {
	size, down := int64(256<<20), 10*time.Second
	if os.Getenv("PLINTH_HEAL_ACCEPTANCE") == "1" {
		size, down = 1<<30, 30*time.Second
	}
	d.mustCall(200, "PUT", "/v1/settings/backup-compression-method", `{"value":"gzip"}`)
	d.mustCall(200, "PUT", "/v1/settings/backup-concurrent-limit", `{"value":"1"}`)
	d.mustCall(200, "PUT", "/v1/settings/restore-concurrent-limit", `{"value":"1"}`)
	img := filepath.Join(t.TempDir(), "heal.raw")
	writeImage(t, img, size, size, 71)
	sum := sha512File(t, img)
	d.createDownload("heal", serveFile(t, img).URL)

	name := d.backupOf("heal", fmt.Sprintf(`{"backupTargetName":%q}`, o.target))["name"].(string)
	d.waitBackupMid(name, 10)
	o.stop()
	stored := o.blocks() // nothing changes while the server is down
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
	time.Sleep(down) // the outage itself, not a wait for a condition
	o.start()
	done := d.waitBackup(name, "Completed", 5*time.Minute)
	total := o.blocks()
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
	o.stop()
	time.Sleep(down) // the outage
	if bi := d.getImage("healed"); anyCopy("failed")(bi) {
		t.Fatalf("the restore failed during the outage: %v", copies(bi))
	}
	o.start()
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

// failBackup starts a backup of image to target "s3" and stops versitygw
// while it runs; with backup-retry-max-attempts 1 the backup ends in
// Error. The server is started again before it returns.
func (d *daemon) failBackup(gw *testenv.S3Server, image string) string {
	d.t.Helper()
	name := d.backupOf(image, `{"backupTargetName":"s3"}`)["name"].(string)
	d.waitBackupMid(name, 5)
	gw.Stop()
	d.waitBackup(name, "Error", 2*time.Minute)
	gw.Start()
	d.waitTarget("s3", true)
	return name
}

func TestFailedBackupNeverBlocks(t *testing.T) {
	gw := testenv.VersityGW(t)
	bucket := gw.NewBucket(t)
	d := startDaemon(t, "")
	d.addS3Target(t, gw, bucket, "s3")
	d.mustCall(200, "PUT", "/v1/settings/backup-compression-method", `{"value":"gzip"}`)
	d.mustCall(200, "PUT", "/v1/settings/backup-concurrent-limit", `{"value":"1"}`)
	d.mustCall(200, "PUT", "/v1/settings/backup-retry-max-attempts", `{"value":"1"}`)
	img := filepath.Join(t.TempDir(), "nb.raw")
	writeImage(t, img, 128<<20, 128<<20, 72)
	d.createDownload("nb", serveFile(t, img).URL)

	// Its own lock file stayed on the store when it failed: the delete
	// must not wait for it to expire.
	first := d.failBackup(gw, "nb")
	start := time.Now()
	d.mustCall(200, "DELETE", "/v1/backupbackingimages/"+first, "")
	d.waitGone("/v1/backupbackingimages/"+first, 10*time.Second)
	t.Logf("failed backup deleted in %s", time.Since(start).Round(time.Millisecond))

	// API: a new backup replaces a failed one.
	second := d.failBackup(gw, "nb")
	third := d.backupOf("nb", `{"backupTargetName":"s3"}`)["name"].(string)
	if third == second {
		t.Fatalf("the replacing backup has the failed one's name")
	}
	if code, _ := d.call("GET", "/v1/backupbackingimages/"+second, ""); code != 404 {
		t.Fatalf("the replaced failed backup %s still exists (%d)", second, code)
	}
	code, e := d.call("POST", "/v1/backingimages/nb?action=backupBackingImageCreate", `{"backupTargetName":"s3"}`)
	if msg, _ := e["message"].(string); code != 409 || !strings.Contains(msg, third) || !strings.Contains(msg, "(InProgress)") && !strings.Contains(msg, "(Pending)") {
		t.Fatalf("a backup while one runs: %d %v; want a 409 naming %s and its state", code, e, third)
	}
	d.waitBackup(third, "Completed", 3*time.Minute)
	code, e = d.call("POST", "/v1/backingimages/nb?action=backupBackingImageCreate", `{"backupTargetName":"s3"}`)
	if msg, _ := e["message"].(string); code != 409 || !strings.Contains(msg, "(Completed)") {
		t.Fatalf("a backup over a Completed one: %d %v; want a 409 saying Completed", code, e)
	}

	// CLI: create over a failed backup, and retry. Another image: every
	// block of nb is on the target now, so a backup of nb completes at once
	// (it reads nothing) and could not be caught in the middle.
	d.mustCall(200, "DELETE", "/v1/backupbackingimages/"+third, "")
	d.waitGone("/v1/backupbackingimages/"+third, 30*time.Second)
	img2 := filepath.Join(t.TempDir(), "nb2.raw")
	writeImage(t, img2, 128<<20, 128<<20, 73)
	d.createDownload("nb2", serveFile(t, img2).URL)
	fourth := d.failBackup(gw, "nb2")
	out, err := d.plinthCLI("backup", "create", "nb2", "--target", "s3")
	if err != nil {
		t.Fatalf("plinth backup create over a failed backup: %v\n%s", err, out)
	}
	if code, _ := d.call("GET", "/v1/backupbackingimages/"+fourth, ""); code != 404 {
		t.Fatalf("plinth backup create left the failed backup %s (%d)", fourth, code)
	}
	fifth := strings.Fields(lastLine(out))[1]
	d.waitBackupMid(fifth, 5)
	gw.Stop()
	d.waitBackup(fifth, "Error", 2*time.Minute)
	gw.Start()
	d.waitTarget("s3", true)
	if out, err := d.plinthCLI("backup", "retry", fifth, "--wait"); err != nil {
		t.Fatalf("plinth backup retry: %v\n%s", err, out)
	}
	d.waitBackup(fifth, "Completed", time.Minute)
	if out, err := d.plinthCLI("backup", "retry", fifth); err == nil || !strings.Contains(out, "Completed") {
		t.Fatalf("retrying a Completed backup must fail naming its state: %v\n%s", err, out)
	}
}

func TestTargetUpdateNeedsURLAndKeepsRecords(t *testing.T) {
	d := startDaemon(t, "")
	dirA, dirB := t.TempDir(), t.TempDir()
	d.addTarget(t, "tu", "file://"+dirA)
	img := filepath.Join(t.TempDir(), "tu.raw")
	writeImage(t, img, 2<<20, 2<<20, 9)
	d.createDownload("tu", serveFile(t, img).URL)
	name := d.backupOf("tu", `{"backupTargetName":"tu"}`)["name"].(string)
	d.waitBackup(name, "Completed", time.Minute)

	for _, body := range []string{"", "{}", "null", `{"credentialSecret":""}`} {
		code, e := d.call("POST", "/v1/backuptargets/tu?action=backupTargetUpdate", body)
		if code != 400 {
			t.Fatalf("backupTargetUpdate with %q: %d %v; want 400", body, code, e)
		}
	}
	if bt := d.mustCall(200, "GET", "/v1/backuptargets/tu", ""); bt["backupTargetURL"] != "file://"+dirA {
		t.Fatalf("a refused update changed the target: %v", bt)
	}
	listed := func() []string {
		l := d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=tu", "")
		var out []string
		for _, v := range l["data"].([]any) {
			b := v.(map[string]any)
			out = append(out, fmt.Sprintf("%v %v", b["name"], b["userCreated"]))
		}
		return out
	}
	update := func(u string) {
		d.mustCall(200, "POST", "/v1/backuptargets/tu?action=backupTargetUpdate", fmt.Sprintf(`{"backupTargetURL":%q}`, u))
	}
	update("file://" + dirB)
	testenv.Eventually(t, 20*time.Second, "records of the old URL hidden", func() (bool, string) {
		l := listed()
		return len(l) == 0, fmt.Sprint(l)
	})
	update("")
	update("file://" + dirA)
	want := name + " true"
	testenv.Eventually(t, 20*time.Second, "the record back with its name", func() (bool, string) {
		l := listed()
		return len(l) == 1 && l[0] == want, fmt.Sprint(l)
	})
}
