package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestTwoWritersOneNFSTarget runs two plinth servers against one NFS
// target: both back up different images at the same time while one deletes
// a third image's backup. Afterwards every surviving backup restores and,
// after a last garbage collection, no block is orphaned.
func TestTwoWritersOneNFSTarget(t *testing.T) {
	nfs := testenv.Ganesha(t)
	root := filepath.Join(nfs.Export, "shared")
	mkdir(t, root)
	a, b := startDaemon(t, ""), startDaemon(t, "")
	dir := t.TempDir()
	sums := map[string]string{}
	for i, name := range []string{"tw-1", "tw-2", "tw-3", "tw-4"} {
		p := filepath.Join(dir, name+".raw")
		writeImage(t, p, 16<<20, 8<<20, 100) // a shared 8 MiB prefix...
		f, _ := os.OpenFile(p, os.O_WRONLY, 0)
		f.WriteAt([]byte(strings.Repeat(name, 1<<18)), int64(10+i)<<20) // ...and blocks of its own
		f.Close()
		sums[name] = sha512File(t, p)
		url := serveFile(t, p).URL
		a.createDownload(name, url)
		b.createDownload(name, url)
	}
	a.addTarget(t, "nfs", nfs.URL("shared").String())
	b.addTarget(t, "nfs", nfs.URL("shared").String())
	old := a.backupOf("tw-3", `{"backupTargetName":"nfs"}`)["name"].(string)
	a.waitBackup(old, "Completed", time.Minute)

	var wg sync.WaitGroup
	var n1, n2 string
	wg.Add(3)
	go func() { defer wg.Done(); n1 = a.backupOf("tw-1", `{"backupTargetName":"nfs"}`)["name"].(string) }()
	go func() { defer wg.Done(); n2 = b.backupOf("tw-2", `{"backupTargetName":"nfs"}`)["name"].(string) }()
	go func() { defer wg.Done(); a.mustCall(200, "DELETE", "/v1/backupbackingimages/"+old, "") }()
	wg.Wait()
	a.waitBackup(n1, "Completed", 2*time.Minute)
	b.waitBackup(n2, "Completed", 2*time.Minute)
	a.waitGone("/v1/backupbackingimages/"+old, 2*time.Minute)

	// A last backup and delete runs garbage collection with nothing in flight.
	last := b.backupOf("tw-4", `{"backupTargetName":"nfs"}`)["name"].(string)
	b.waitBackup(last, "Completed", time.Minute)
	b.mustCall(200, "DELETE", "/v1/backupbackingimages/"+last, "")
	b.waitGone("/v1/backupbackingimages/"+last, time.Minute)
	if orphans := orphanBlocks(t, root); len(orphans) != 0 {
		t.Fatalf("%d orphan blocks after the last GC: %v", len(orphans), orphans[:min(3, len(orphans))])
	}

	// Every surviving backup restores, on either server.
	for _, d := range []*daemon{a, b} {
		d.mustCall(200, "POST", "/v1/backuptargets/nfs?action=backupTargetSync", `{}`)
	}
	for _, c := range []struct {
		d     *daemon
		image string
	}{{b, "tw-1"}, {a, "tw-2"}} {
		bbi := waitListed(t, c.d, "nfs", c.image)
		c.d.deleteImage(c.image)
		c.d.restoreAndCheck(bbi, c.image, "v1", sums[c.image])
	}
}

// waitListed waits until d lists a Completed backup of image on target.
func waitListed(t *testing.T, d *daemon, target, image string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l := d.mustCall(200, "GET", "/v1/backupbackingimages?backupTargetName="+target+"&backingImageName="+image, "")
		for _, it := range l["data"].([]any) {
			if m := it.(map[string]any); m["state"] == "Completed" {
				return m["name"].(string)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no Completed backup of %s on %s listed", image, target)
	return ""
}

// orphanBlocks reads the store on the server's disk and returns the block
// objects no cfg references.
func orphanBlocks(t *testing.T, root string) []string {
	t.Helper()
	base := filepath.Join(root, "backupstore", "backing-images")
	referenced := map[string]bool{}
	cfgs, _ := filepath.Glob(filepath.Join(base, "backing-images", "*", "backing-image.cfg"))
	for _, c := range cfgs {
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Blocks []struct{ BlockChecksum string }
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("parse %s: %v", c, err)
		}
		for _, b := range cfg.Blocks {
			referenced[b.BlockChecksum] = true
		}
	}
	var orphans []string
	filepath.Walk(filepath.Join(base, "blocks"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") && !referenced[strings.TrimSuffix(filepath.Base(p), ".blk")] {
			orphans = append(orphans, p)
		}
		return nil
	})
	return orphans
}
