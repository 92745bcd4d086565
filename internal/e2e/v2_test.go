package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// diskStatus returns a disk's fields from the node.
func (d *daemon) diskStatus(name string) map[string]any {
	d.t.Helper()
	n := d.mustCall(200, "GET", "/v1/nodes/node-1", "")
	disk, ok := n["disks"].(map[string]any)[name].(map[string]any)
	if !ok {
		d.t.Fatalf("node has no disk %s: %v", name, n["disks"])
	}
	return disk
}

func available(disk map[string]any) int64 { return int64(disk["storageAvailable"].(float64)) }

// addBlockDisks adds a block disk on a plain file and one on a loop
// device to the node, tagged "file" and "loop".
func (d *daemon) addBlockDisks(t *testing.T) (filePath, loopPath string) {
	t.Helper()
	def := d.diskStatus("default-disk")
	filePath = filepath.Join(t.TempDir(), "blockdisk.img")
	loopPath = testenv.LoopDevice(t, 1<<30)
	body, _ := json.Marshal(map[string]any{"disks": map[string]any{
		"default-disk": map[string]any{"path": def["path"], "diskType": "filesystem", "allowScheduling": true},
		"blk-file":     map[string]any{"path": filePath, "diskType": "block", "size": 6 << 30, "allowScheduling": true, "tags": []string{"file"}},
		"blk-loop":     map[string]any{"path": loopPath, "diskType": "block", "allowScheduling": true, "tags": []string{"loop"}},
	}})
	d.mustCall(200, "POST", "/v1/nodes/node-1?action=diskUpdate", string(body))
	for _, n := range []string{"blk-file", "blk-loop"} {
		if st := d.diskStatus(n); st["diskUUID"] == "" || available(st) <= 0 {
			t.Fatalf("block disk %s not ready: %v", n, st)
		}
	}
	return filePath, loopPath
}

func (d *daemon) downloadEquals(image, wantPath string) {
	d.t.Helper()
	resp, err := http.Get(d.URL + "/v1/backingimages/" + image + "/download")
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	want, err := os.Open(wantPath)
	if err != nil {
		d.t.Fatal(err)
	}
	defer want.Close()
	if err := sameStream(resp.Body, want); err != nil {
		d.t.Fatalf("download of %s differs from %s: %v", image, wantPath, err)
	}
}

func TestV2ImagesOnBlockDisks(t *testing.T) {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatal("qemu-img not found: run ./scripts/test (it installs qemu-utils)")
	}
	d := startDaemon(t, "")
	d.addBlockDisks(t)
	dir := t.TempDir()

	raw := filepath.Join(dir, "raw.img")
	writeImage(t, raw, 40<<20, 12<<20, 3)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"v2-raw","sourceType":"download","parameters":{"url":%q},"dataEngine":"v2","diskSelector":["loop"]}`, serveFile(t, raw).URL))
	bi := d.waitImage("v2-raw", time.Minute, allCopies("ready"))
	if bi["currentChecksum"] != sha512File(t, raw) {
		t.Fatalf("v2 raw checksum %v", bi["currentChecksum"])
	}
	d.downloadEquals("v2-raw", raw)

	qcow := filepath.Join(dir, "img.qcow2")
	if out, err := exec.Command(qemuImg, "convert", "-O", "qcow2", raw, qcow).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, out)
	}
	back := filepath.Join(dir, "back.raw")
	if out, err := exec.Command(qemuImg, "convert", "-O", "raw", qcow, back).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, out)
	}
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"v2-qcow","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q,"dataEngine":"v2","diskSelector":["file"]}`, serveFile(t, qcow).URL, sha512File(t, qcow)))
	bi = d.waitImage("v2-qcow", time.Minute, allCopies("ready"))
	if bi["currentChecksum"] != sha512File(t, back) {
		t.Fatalf("v2 qcow2 copy checksum %v, want the raw content's %s", bi["currentChecksum"], sha512File(t, back))
	}
	d.downloadEquals("v2-qcow", back)

	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"v2-up","sourceType":"upload","dataEngine":"v2"}`)
	up := filepath.Join(dir, "up.raw")
	writeImage(t, up, 5<<20+1, 5<<20+1, 4)
	data, _ := os.ReadFile(up)
	resp, err := http.Post(fmt.Sprintf("%s/v1/backingimages/v2-up?action=upload&size=%d", d.URL, len(data)), "application/octet-stream", strings.NewReader(string(data)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("upload to v2: %v %v", err, resp)
	}
	resp.Body.Close()
	d.waitImage("v2-up", time.Minute, allCopies("ready"))
	d.downloadEquals("v2-up", up)

	// Two copies: the second is copied between the block disks.
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"v2-two","sourceType":"download","parameters":{"url":%q},"dataEngine":"v2","minNumberOfCopies":2}`, serveFile(t, raw).URL))
	d.waitImage("v2-two", time.Minute, func(bi map[string]any) bool { return len(copies(bi)) == 2 && allCopies("ready")(bi) })
	d.downloadEquals("v2-two", raw)

	d.restart()
	for _, n := range []string{"v2-raw", "v2-qcow", "v2-up", "v2-two"} {
		d.waitImage(n, 20*time.Second, allCopies("ready"))
	}
	d.downloadEquals("v2-raw", raw)
}

func TestV2SparseAllocationAndFree(t *testing.T) {
	d := startDaemon(t, "")
	d.addBlockDisks(t)
	before := available(d.diskStatus("blk-file"))
	img := filepath.Join(t.TempDir(), "big.raw")
	const size = 4 << 30
	writeImage(t, img, size, size/20, 12)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"v2-big","sourceType":"download","parameters":{"url":%q},"dataEngine":"v2","diskSelector":["file"]}`, serveFile(t, img).URL))
	d.waitImage("v2-big", 5*time.Minute, allCopies("ready"))
	used := before - available(d.diskStatus("blk-file"))
	if used <= 0 || used >= size/10 {
		t.Fatalf("a 4 GiB image with 95%% zeros allocated %d bytes of clusters, want under 10%% of %d", used, int64(size))
	}
	d.deleteImage("v2-big")
	if after := available(d.diskStatus("blk-file")); after != before {
		t.Fatalf("after delete storageAvailable = %d, want %d again", after, before)
	}
}

func TestBackupsCrossEngines(t *testing.T) {
	d := startDaemon(t, "")
	d.addBlockDisks(t)
	img := filepath.Join(t.TempDir(), "x.raw")
	writeImage(t, img, 20<<20+3, 9<<20, 8)
	sum := sha512File(t, img)
	url := serveFile(t, img).URL

	d.createDownload("from-v1", url) // v1 backup -> restore into v2
	b1 := d.backupOf("from-v1", `{}`)["name"].(string)
	d.waitBackup(b1, "Completed", time.Minute)
	d.restoreAndCheck(b1, "into-v2", "v2", sum)
	d.downloadEquals("into-v2", img)

	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"from-v2","sourceType":"download","parameters":{"url":%q},"dataEngine":"v2"}`, url))
	d.waitImage("from-v2", time.Minute, allCopies("ready"))
	b2 := d.backupOf("from-v2", `{}`)["name"].(string) // v2 backup -> restore into v1
	d.waitBackup(b2, "Completed", time.Minute)
	d.restoreAndCheck(b2, "into-v1", "v1", sum)
	d.downloadEquals("into-v1", img)

	// A backup of a qcow2 image restores into v2 as its raw content.
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatal("qemu-img not found: run ./scripts/test (it installs qemu-utils)")
	}
	qcow := filepath.Join(t.TempDir(), "x.qcow2")
	if out, err := exec.Command(qemuImg, "convert", "-O", "qcow2", img, qcow).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, out)
	}
	back := filepath.Join(t.TempDir(), "back.raw") // qemu pads the size to whole sectors
	if out, err := exec.Command(qemuImg, "convert", "-O", "raw", qcow, back).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, out)
	}
	d.createDownload("qcow-v1", serveFile(t, qcow).URL)
	b3 := d.backupOf("qcow-v1", `{}`)["name"].(string)
	d.waitBackup(b3, "Completed", time.Minute)
	d.mustCall(200, "POST", "/v1/backupbackingimages/"+b3+"?action=backupBackingImageRestore", `{"name":"qcow-into-v2","dataEngine":"v2"}`)
	bi := d.waitImage("qcow-into-v2", 2*time.Minute, allCopies("ready"))
	if want := sha512File(t, back); bi["currentChecksum"] != want {
		t.Fatalf("qcow2 backup restored into v2: checksum %v, want the raw content's %s", bi["currentChecksum"], want)
	}
	d.downloadEquals("qcow-into-v2", back)
}

func TestKillDuringRestoreIntoV2(t *testing.T) {
	d := startDaemon(t, "")
	filePath, _ := d.addBlockDisks(t)
	img := filepath.Join(t.TempDir(), "r.raw")
	writeImage(t, img, 384<<20, 384<<20, 13)
	sum := sha512File(t, img)
	d.createDownload("rsrc", serveFile(t, img).URL)
	b := d.backupOf("rsrc", `{}`)["name"].(string)
	d.waitBackup(b, "Completed", 2*time.Minute)
	d.mustCall(200, "PUT", "/v1/settings/restore-concurrent-limit", `{"value":"1"}`)
	before := available(d.diskStatus("blk-file"))

	d.mustCall(200, "POST", "/v1/backupbackingimages/"+b+"?action=backupBackingImageRestore", `{"name":"rv2","dataEngine":"v2"}`)
	d.waitImage("rv2", time.Minute, func(bi map[string]any) bool { return progressOf(bi) >= 1 })
	d.kill()
	diskCheck(t, filePath)

	d.start()
	bi := d.waitImage("rv2", 2*time.Minute, func(bi map[string]any) bool {
		return allCopies("ready")(bi) || allCopies("failed")(bi)
	})
	if copies(bi)[0]["state"] == "ready" && bi["currentChecksum"] != sum {
		t.Fatalf("restored v2 copy checksum %v, want %s", bi["currentChecksum"], sum)
	}
	d.deleteImage("rv2")
	if after := available(d.diskStatus("blk-file")); after != before {
		t.Fatalf("clusters leaked: storageAvailable %d after delete, %d before the restore", after, before)
	}
	d.stop()
	if rep := diskCheck(t, filePath); rep["leakedClusters"].(float64) != 0 {
		t.Fatalf("disk check reports leaked clusters: %v", rep)
	}
}

// diskCheck runs `plinth disk check -o json` and fails unless it passes.
func diskCheck(t *testing.T, path string) map[string]any {
	t.Helper()
	out, err := exec.Command(plinthBin, "disk", "check", path, "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("plinth disk check %s: %v: %s", path, err, out)
	}
	var rep map[string]any
	if err := json.Unmarshal(out, &rep); err != nil || rep["ok"] != true {
		t.Fatalf("disk check report: %v: %s", err, out)
	}
	return rep
}
