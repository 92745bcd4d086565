package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// blockFiles lists the block files of the default target's store, sorted.
func blockFiles(t *testing.T, d *daemon) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(filepath.Join(d.dataDir, "backupstore"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// corruptFile flips one byte in the middle of path.
func corruptFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (d *daemon) verifyBackup(name, body string) map[string]any {
	d.t.Helper()
	return d.mustCall(200, "POST", "/v1/backupbackingimages/"+name+"?action=backupBackingImageVerify", body)
}

func badBlocksOf(rep map[string]any) []any {
	bad, _ := rep["badBlocks"].([]any)
	return bad
}

// The finding: after one block on the store was damaged, a new backup of
// the same content reported Completed although verify reported it bad.
func TestCorruptBlockIsNotReused(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "r.raw")
	writeImage(t, img, 8<<20, 8<<20, 71)
	sum := sha512File(t, img)
	srv := serveFile(t, img)
	d.createDownload("same-1", srv.URL)
	first := d.backupOf("same-1", `{}`)["name"].(string)
	d.waitBackup(first, "Completed", time.Minute)
	victim := blockFiles(t, d)[1]
	corruptFile(t, victim)
	id := strings.TrimSuffix(filepath.Base(victim), ".blk")
	if rep := d.verifyBackup(first, ""); rep["ok"] != false || len(badBlocksOf(rep)) != 1 || !strings.Contains(fmt.Sprint(badBlocksOf(rep)[0]), id) {
		t.Fatalf("verify of the damaged backup: %v, want one bad block naming %s", rep, id)
	}
	d.restart() // the bad block is remembered in etcd, not only in memory

	d.createDownload("same-2", srv.URL)
	second := d.backupOf("same-2", `{}`)["name"].(string)
	b := d.waitBackup(second, "Completed", time.Minute)
	if rep := d.verifyBackup(second, ""); rep["ok"] != true {
		t.Fatalf("backup %s of the same content reuses the damaged block: %v (result %v)", second, rep, b["messages"])
	}
	if rep := d.verifyBackup(first, "{}"); rep["ok"] != true {
		t.Fatalf("the re-uploaded block must heal %s too: %v", first, rep)
	}
	d.restoreAndCheck(second, "same-back", "v1", sum)
}

// TestVerifyRepair: verify with repair:true rewrites bad blocks from a
// ready local copy with the backup's checksum, through the API and the CLI,
// and is a 409 when there is none.
func TestVerifyRepair(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "p.raw")
	writeImage(t, img, 9<<20, 9<<20, 72)
	srv := serveFile(t, img)
	d.createDownload("orig", srv.URL)
	name := d.backupOf("orig", `{}`)["name"].(string)
	d.waitBackup(name, "Completed", time.Minute)
	blocks := blockFiles(t, d)
	corruptFile(t, blocks[0])
	if err := os.Remove(blocks[2]); err != nil {
		t.Fatal(err)
	}
	if rep := d.verifyBackup(name, `{"repair":false}`); rep["ok"] != false || len(badBlocksOf(rep)) != 2 || rep["repaired"] != 0.0 {
		t.Fatalf("plain verify: %v, want two bad blocks and nothing repaired", rep)
	}

	d.deleteImage("orig")
	code, e := d.call("POST", "/v1/backupbackingimages/"+name+"?action=backupBackingImageVerify", `{"repair":true}`)
	if code != 409 || !strings.Contains(fmt.Sprint(e["message"]), "no backing image with its checksum") {
		t.Fatalf("repair without a local copy: %d %v, want 409 saying there is none", code, e)
	}

	// Another image with the same content is a valid source.
	d.createDownload("twin", srv.URL)
	rep := d.verifyBackup(name, `{"repair":true}`)
	if rep["ok"] != true || rep["repaired"] != 2.0 || rep["repairSource"] != "twin" || len(badBlocksOf(rep)) != 0 {
		t.Fatalf("repair through the API: %v", rep)
	}
	if rep := d.verifyBackup(name, ""); rep["ok"] != true {
		t.Fatalf("verify after the repair: %v", rep)
	}

	corruptFile(t, blocks[1])
	if out, err := d.plinthCLI("backup", "verify", name); err == nil || !strings.Contains(out, "DAMAGED") {
		t.Fatalf("plinth backup verify of a damaged backup: %v\n%s", err, out)
	}
	out, err := d.plinthCLI("backup", "verify", name, "--repair")
	if err != nil || !strings.Contains(out, "1 blocks from backing image twin") || !strings.Contains(out, "OK") {
		t.Fatalf("plinth backup verify --repair: %v\n%s", err, out)
	}
	if rep := d.verifyBackup(name, ""); rep["ok"] != true {
		t.Fatalf("verify after the CLI repair: %v", rep)
	}
}
