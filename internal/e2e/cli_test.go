package e2e

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plinthCLI runs the plinth binary as a client of d.
func (d *daemon) plinthCLI(args ...string) (string, error) {
	cmd := exec.Command(plinthBin, append([]string{"--server", d.URL}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCLIUploadBackupRestore(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "cli.raw")
	writeImage(t, img, 7<<20+11, 7<<20+11, 17)
	sum := sha512File(t, img)
	out, err := d.plinthCLI("--progress", "backing-image", "create", "cli-img", "--upload", img, "--wait")
	if err != nil {
		t.Fatalf("plinth backing-image create --upload: %v\n%s", err, out)
	}
	if !strings.Contains(out, "%") && !strings.Contains(out, "MiB") {
		t.Errorf("upload printed no progress: %q", out)
	}
	bi := d.waitImage("cli-img", 10*time.Second, allCopies("ready"))
	if bi["currentChecksum"] != sum {
		t.Fatalf("uploaded checksum %v, want %s", bi["currentChecksum"], sum)
	}
	out, err = d.plinthCLI("backup", "create", "cli-img", "--wait")
	if err != nil {
		t.Fatalf("plinth backup create: %v\n%s", err, out)
	}
	if !generatedName("cli-img").MatchString(strings.Fields(lastLine(out))[1]) {
		t.Errorf("backup create output does not show the generated name: %q", out)
	}
	out, err = d.plinthCLI("-o", "json", "backup", "list", "--image", "cli-img")
	if err != nil || !strings.Contains(out, `"Completed"`) {
		t.Fatalf("plinth backup list: %v\n%s", err, out)
	}
	dl := filepath.Join(t.TempDir(), "back.raw")
	if out, err := d.plinthCLI("backing-image", "download", "cli-img", "-f", dl); err != nil {
		t.Fatalf("plinth backing-image download: %v\n%s", err, out)
	}
	if sha512File(t, dl) != sum {
		t.Fatal("downloaded file differs from the upload")
	}
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`plinth_backing_image_copies{state="ready"} 1`, `plinth_bytes_transferred_total{direction="upload"}`,
		`plinth_api_requests_total{code="200"`, `plinth_target_requests_total{`, `plinth_backup_backing_images{state="Completed",target="default"} 1`,
		`plinth_backup_blocks_total{kind="uploaded",target="default"}`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if out, err := d.plinthCLI("backing-image", "get", "nope"); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("get of a missing image: %v %q, want a failure saying not found", err, out)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
