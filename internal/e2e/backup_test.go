package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestBackupToFileAndS3 walks issue 3's scenario: two targets, naming
// rules, duplicates, batch, restores, deletes with shared blocks.
func TestBackupToFileAndS3(t *testing.T) {
	gw := testenv.VersityGW(t)
	d := startDaemon(t, "")
	dir := t.TempDir()
	imgA := filepath.Join(dir, "a.raw")
	writeImage(t, imgA, 12<<20+5, 8<<20, 21)
	fa, _ := os.OpenFile(imgA, os.O_WRONLY, 0)
	fa.WriteAt([]byte(strings.Repeat("a", 1<<20)), 10<<20) // a block only img-a has
	fa.Close()
	sumA := sha512File(t, imgA)
	srv := serveFile(t, imgA)
	d.createDownload("img-a", srv.URL)

	fileDir := t.TempDir()
	d.addTarget(t, "files", "file://"+fileDir)
	d.addS3Target(t, gw, gw.NewBucket(t), "s3")

	n1, n2 := checkNamingRules(t, d)

	// img-b shares its first 8 MiB with img-a; img-c is new; img-u is not ready.
	sumB := checkBatch(t, d, dir)
	blocksBefore := countBlocks(t, fileDir)
	checkRestores(t, d, sumA, n1, n2)
	checkDeleteKeepsSharedBlocks(t, d, fileDir, blocksBefore, n1, sumB)
	checkSecondServer(t, d, gw, imgA, sumA)
}

// checkNamingRules backs img-a up to "files" and "s3" and checks the
// naming rules, the duplicate 409, the no-body default and a missing
// target's 404. It returns the two backups' names.
func checkNamingRules(t *testing.T, d *daemon) (string, string) {
	t.Helper()
	b1 := d.backupOf("img-a", `{"backupTargetName":"files"}`)
	b2 := d.backupOf("img-a", `{"backupTargetName":"s3","name":"img-a"}`)
	n1, n2 := b1["name"].(string), b2["name"].(string)
	if !generatedName("img-a").MatchString(n1) || !generatedName("img-a").MatchString(n2) || n1 == n2 {
		t.Fatalf("generated names %q and %q: want two distinct img-a-xxxxxxxx", n1, n2)
	}
	d.waitBackup(n1, "Completed", time.Minute)
	d.waitBackup(n2, "Completed", time.Minute)
	code, e := d.call("POST", "/v1/backingimages/img-a?action=backupBackingImageCreate", `{"backupTargetName":"files"}`)
	if code != 409 || !strings.Contains(e["message"].(string), n1) {
		t.Fatalf("second backup to the same target: %d %v, want 409 naming %s", code, e["message"], n1)
	}
	req, _ := http.NewRequest("POST", d.URL+"/v1/backingimages/img-a?action=backupBackingImageCreate", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("backup with no body: %v %v", err, resp)
	}
	resp.Body.Close()
	def := d.mustCall(200, "GET", "/v1/backupbackingimages?backingImageName=img-a&backupTargetName=default", "")
	if len(def["data"].([]any)) != 1 {
		t.Fatalf("a request with no body must go to default: %v", def)
	}
	if code, _ := d.call("POST", "/v1/backingimages/img-a?action=backupBackingImageCreate", `{"backupTargetName":"nope"}`); code != 404 {
		t.Fatalf("missing target: %d, want 404", code)
	}
	return n1, n2
}

// checkBatch creates img-b (sharing blocks with img-a), img-c and the
// never-ready img-u, checks an explicit name, and batch-backs-up all three
// to "files". It returns img-b's checksum.
func checkBatch(t *testing.T, d *daemon, dir string) string {
	t.Helper()
	imgB := filepath.Join(dir, "b.raw")
	writeImage(t, imgB, 12<<20+5, 8<<20, 21)
	f, _ := os.OpenFile(imgB, os.O_WRONLY, 0)
	f.WriteAt([]byte(strings.Repeat("b", 3<<20)), 9<<20)
	f.Close()
	sumB := sha512File(t, imgB)
	d.createDownload("img-b", serveFile(t, imgB).URL)
	imgC := filepath.Join(dir, "c.raw")
	writeImage(t, imgC, 4<<20, 4<<20, 33)
	d.createDownload("img-c", serveFile(t, imgC).URL)
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"img-u","sourceType":"upload"}`)

	custom := d.backupOf("img-c", `{"name":"my-backup"}`)
	if custom["name"] != "my-backup" {
		t.Fatalf("explicit name not used: %v", custom["name"])
	}
	batch := d.mustCall(200, "POST", "/v1/backingimages?action=backupBackingImageBatchCreate", `{"backingImageNames":["img-b","img-u","img-c"],"backupTargetName":"files"}`)
	items := batch["data"].([]any)
	if len(items) != 3 {
		t.Fatalf("batch: %d results, want 3", len(items))
	}
	var batchNames []string
	for _, it := range items {
		m := it.(map[string]any)
		switch m["backingImageName"] {
		case "img-u":
			if m["error"] == nil || m["error"].(map[string]any)["status"].(float64) != 409 {
				t.Fatalf("batch item for the unready image: %v, want a 409 error", m)
			}
		default:
			bb, ok := m["backupBackingImage"].(map[string]any)
			if !ok {
				t.Fatalf("batch item %v: no backup", m)
			}
			batchNames = append(batchNames, bb["name"].(string))
		}
	}
	for _, n := range batchNames {
		d.waitBackup(n, "Completed", time.Minute)
	}
	return sumB
}

// checkRestores deletes img-a and restores each of its backups in turn.
func checkRestores(t *testing.T, d *daemon, sumA, n1, n2 string) {
	t.Helper()
	d.deleteImage("img-a")
	for _, bbi := range []string{n1, n2} {
		d.restoreAndCheck(bbi, "img-a", "v1", sumA)
		if code, _ := d.call("POST", "/v1/backupbackingimages/"+bbi+"?action=backupBackingImageRestore", `{}`); code != 409 {
			t.Fatalf("restore onto an existing image: %d, want 409", code)
		}
		d.deleteImage("img-a")
	}
}

// checkDeleteKeepsSharedBlocks deletes img-a's file backup: its cfg and
// its own block go, the blocks img-b shares stay and img-b still restores.
func checkDeleteKeepsSharedBlocks(t *testing.T, d *daemon, fileDir string, blocksBefore int, n1, sumB string) {
	t.Helper()
	d.mustCall(200, "DELETE", "/v1/backupbackingimages/"+n1, "")
	d.waitGone("/v1/backupbackingimages/"+n1, 30*time.Second)
	if _, err := os.Stat(filepath.Join(fileDir, "backupstore/backing-images/backing-images/img-a/backing-image.cfg")); !os.IsNotExist(err) {
		t.Fatalf("cfg of the deleted backup still exists: %v", err)
	}
	blocksAfter := countBlocks(t, fileDir)
	if blocksAfter != blocksBefore-1 {
		t.Fatalf("blocks %d -> %d: the deleted backup's own blocks must go, shared ones stay", blocksBefore, blocksAfter)
	}
	d.deleteImage("img-b")
	var bbiB string
	list := d.mustCall(200, "GET", "/v1/backupbackingimages?backingImageName=img-b&backupTargetName=files", "")
	bbiB = list["data"].([]any)[0].(map[string]any)["name"].(string)
	d.restoreAndCheck(bbiB, "img-b", "v1", sumB)
}

// checkSecondServer starts another installation on the same S3 target: it
// lists img-a's backup after a sync and restores it byte-identically.
func checkSecondServer(t *testing.T, d *daemon, gw *testenv.S3Server, imgA, sumA string) {
	t.Helper()
	d2 := startDaemon(t, "")
	d2.addS3Target(t, gw, strings.TrimSuffix(strings.TrimPrefix(d.mustCall(200, "GET", "/v1/backuptargets/s3", "")["backupTargetURL"].(string), "s3://"), "@us-east-1/"), "s3")
	var found string
	deadline := time.Now().Add(30 * time.Second)
	for found == "" && time.Now().Before(deadline) {
		l := d2.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName=s3", "")
		for _, it := range l["data"].([]any) {
			if m := it.(map[string]any); m["backingImageName"] == "img-a" && m["state"] == "Completed" {
				found = m["name"].(string)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if found == "" {
		t.Fatal("the second server did not list img-a's S3 backup after syncing")
	}
	d2.restoreAndCheck(found, "img-a", "v1", sumA)
	resp, err := http.Get(d2.URL + "/v1/backingimages/img-a/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want, _ := os.Open(imgA)
	defer want.Close()
	if err := sameStream(resp.Body, want); err != nil {
		t.Fatalf("restored image differs from the source: %v", err)
	}
}

func countBlocks(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.Walk(filepath.Join(root, "backupstore/backing-images/blocks"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") {
			n++
		}
		return nil
	})
	return n
}

func TestKillDuringBackupConverges(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "big.raw")
	writeImage(t, img, 256<<20, 256<<20, 44)
	sum := sha512File(t, img)
	d.createDownload("kb", serveFile(t, img).URL)
	d.mustCall(200, "PUT", "/v1/settings/backup-compression-method", `{"value":"gzip"}`)
	d.mustCall(200, "PUT", "/v1/settings/backup-concurrent-limit", `{"value":"1"}`)
	b := d.backupOf("kb", `{}`)
	name := b["name"].(string)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, cur := d.call("GET", "/v1/backupbackingimages/"+name, "")
		if p, _ := cur["progress"].(float64); p >= 5 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.restart()
	d.waitBackup(name, "Completed", 3*time.Minute)
	d.deleteImage("kb")
	d.restoreAndCheck(name, "kb", "v1", sum)

	// Deleting the only backup garbage-collects every block, including any
	// the interrupted attempt uploaded.
	d.mustCall(200, "DELETE", "/v1/backupbackingimages/"+name, "")
	d.waitGone("/v1/backupbackingimages/"+name, time.Minute)
	root := filepath.Join(d.dataDir, "backupstore")
	if orphans := orphanBlocks(t, root); len(orphans) != 0 {
		t.Fatalf("%d orphan blocks after GC", len(orphans))
	}
	if n := countBlocks(t, root); n != 0 {
		t.Fatalf("%d blocks left with no backup on the target", n)
	}
}

func TestCorruptBlockFailsRestoreAndVerify(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "c.raw")
	writeImage(t, img, 6<<20, 6<<20, 61)
	d.createDownload("cb", serveFile(t, img).URL)
	name := d.backupOf("cb", `{}`)["name"].(string)
	d.waitBackup(name, "Completed", time.Minute)
	var victim string
	filepath.Walk(filepath.Join(d.dataDir, "backupstore"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") && victim == "" {
			victim = p
		}
		return nil
	})
	data, _ := os.ReadFile(victim)
	data[len(data)/2] ^= 0xff
	os.WriteFile(victim, data, 0o644)
	id := strings.TrimSuffix(filepath.Base(victim), ".blk")

	rep := d.mustCall(200, "POST", "/v1/backupbackingimages/"+name+"?action=backupBackingImageVerify", "")
	bad, _ := rep["badBlocks"].([]any)
	if rep["ok"] != false || len(bad) != 1 || !strings.Contains(fmt.Sprint(bad[0]), id) {
		t.Fatalf("verify report %v: want one bad block naming %s", rep, id)
	}
	d.deleteImage("cb")
	d.mustCall(200, "POST", "/v1/backupbackingimages/"+name+"?action=backupBackingImageRestore", `{}`)
	bi := d.waitImage("cb", time.Minute, anyCopy("failed"))
	if msg := copies(bi)[0]["message"].(string); !strings.Contains(msg, id) {
		t.Fatalf("restore failure must name the block %s: %q", id, msg)
	}
}
