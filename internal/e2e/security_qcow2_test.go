package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/imagefmt/qcow2test"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// hostile is a qcow2 that names a host file, and the words its refusal
// must hold.
type hostile struct {
	kind, path, reason string
}

// hostileImages makes a qcow2 naming host as its external data file (raw
// layout: converting it with a plain qemu-img copies host) and one naming
// host as its backing file.
func hostileImages(t *testing.T, host string, virtual int) []hostile {
	return []hostile{
		{"data", qcow2test.NamingDataFile(t, t.TempDir(), host, virtual),
			fmt.Sprintf("external data file (%q)", host)},
		{"backing", qcow2test.NamingBackingFile(t, t.TempDir(), host, virtual),
			fmt.Sprintf("backing file (%q)", host)},
	}
}

// TestQcow2NamingAHostFileIsRefused is issue 9's reproduction: a qcow2
// whose header names a host file, stored on v1 or v2 through an upload, a
// download URL or a planted backup, is refused with the reason, and no
// byte of the host file reaches a copy or a download.
func TestQcow2NamingAHostFileIsRefused(t *testing.T) {
	d := startDaemon(t, "")
	d.addBlockDisks(t)
	host, _ := qcow2test.HostFile(t, t.TempDir(), 300<<10)
	images := hostileImages(t, host, 320<<10)
	var names []string
	for _, img := range images {
		for _, engine := range []string{"v1", "v2"} {
			up := fmt.Sprintf("up-%s-%s", img.kind, engine)
			d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"upload","dataEngine":%q}`, up, engine))
			d.uploadRefused(up, img.path, img.reason)

			dl := fmt.Sprintf("dl-%s-%s", img.kind, engine)
			d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"download","parameters":{"url":%q},"dataEngine":%q}`,
				dl, serveFile(t, img.path).URL, engine))
			d.expectFailed(dl, img.reason)
			names = append(names, up, dl)
		}
	}
	names = append(names, d.restorePlanted(t, images)...)
	for _, name := range names {
		d.expectNoLeak(name)
	}
	expectNoFileWith(t, d.dataDir, qcow2test.Marker)
}

// restorePlanted writes each hostile image as a backup straight into a
// file target's folder (as a malicious writer to a shared target could),
// lets plinth discover them, restores each into v1 and v2 and expects
// every restore to fail with the reason. It returns the restored names.
func (d *daemon) restorePlanted(t *testing.T, images []hostile) []string {
	t.Helper()
	root := t.TempDir()
	st := backupstore.New(file.New(root), backupstore.Options{})
	for _, img := range images {
		src, err := backupstore.OpenFileSource(img.path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Backup(context.Background(), backupstore.BackupRequest{Name: "planted-" + img.kind, Source: src}, nil)
		src.Close()
		if err != nil {
			t.Fatalf("plant backup of %s: %v", img.path, err)
		}
	}
	d.addTarget(t, "planted", "file://"+root)
	var names []string
	for _, img := range images {
		bbi := waitListed(t, d, "planted", "planted-"+img.kind)
		for _, engine := range []string{"v1", "v2"} {
			name := fmt.Sprintf("restored-%s-%s", img.kind, engine)
			d.mustCall(200, "POST", "/v1/backupbackingimages/"+bbi+"?action=backupBackingImageRestore",
				fmt.Sprintf(`{"name":%q,"dataEngine":%q}`, name, engine))
			d.expectFailed(name, img.reason)
			names = append(names, name)
		}
	}
	return names
}

// uploadRefused uploads path to image and expects a 422 whose message
// holds reason.
func (d *daemon) uploadRefused(image, path, reason string) {
	d.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatal(err)
	}
	resp, err := http.Post(fmt.Sprintf("%s/v1/backingimages/%s?action=upload&size=%d", d.URL, image, len(data)),
		"application/octet-stream", bytes.NewReader(data))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 422 || !strings.Contains(string(body), jsonQuoted(reason)) {
		d.t.Fatalf("upload of %s to %s: status %d, body %s; want 422 saying %s", filepath.Base(path), image,
			resp.StatusCode, body, reason)
	}
	d.expectFailed(image, reason)
}

// jsonQuoted is s as it appears inside a JSON string.
func jsonQuoted(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }

// expectFailed waits for image's copy to fail and checks its message
// holds reason, and that the image has no ready copy.
func (d *daemon) expectFailed(image, reason string) {
	d.t.Helper()
	bi := d.waitImage(image, 2*time.Minute, func(bi map[string]any) bool {
		return anyCopy("failed")(bi) || anyCopy("ready")(bi)
	})
	for _, c := range copies(bi) {
		if c["state"] == "ready" {
			d.t.Fatalf("%s has a ready copy: %v", image, bi)
		}
		if c["state"] == "failed" && !strings.Contains(fmt.Sprint(c["message"]), reason) {
			d.t.Fatalf("%s failed with %q, want the reason %q", image, c["message"], reason)
		}
	}
}

// expectNoLeak downloads image and fails if the reply carries the host
// file's marker (a refused image has nothing to download).
func (d *daemon) expectNoLeak(image string) {
	d.t.Helper()
	resp, err := http.Get(d.URL + "/v1/backingimages/" + image + "/download")
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 || bytes.Contains(body, []byte(qcow2test.Marker)) {
		d.t.Fatalf("download of the refused image %s: status %d, %d bytes (host file bytes: %v)", image,
			resp.StatusCode, len(body), bytes.Contains(body, []byte(qcow2test.Marker)))
	}
}

// expectNoFileWith fails if a regular file under dir (a v1 disk, the v2
// staging folder) contains marker.
func expectNoFileWith(t *testing.T, dir, marker string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		if info, ierr := e.Info(); ierr != nil || info.Size() > 64<<20 {
			return ierr
		}
		if b, rerr := os.ReadFile(path); rerr == nil && bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds bytes of the host file", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrokenQcow2IsRefused downloads qcow2 images qemu-img cannot use as
// they are: one cut to its first 64 KiB (on v2 it became a ready image of
// zeros), an encrypted one and one of 4 EiB (on v1 both were marked
// ready). Each copy fails with the reason.
func TestBrokenQcow2IsRefused(t *testing.T) {
	d := startDaemon(t, "")
	d.addBlockDisks(t)
	dir := t.TempDir()
	full, _ := qcow2test.WithData(t, dir, "full.qcow2", 8<<20)
	truncated := filepath.Join(dir, "truncated.qcow2")
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:64<<10], 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.qcow2")
	qcow2test.Run(t, dir, "create", "-q", "-f", "qcow2", huge, "1M")
	b, err = os.ReadFile(huge)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[24:32], []byte{0x40, 0, 0, 0, 0, 0, 0, 0}) // virtual size 1<<62 = 4 EiB
	if err := os.WriteFile(huge, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, engine, reason string }{
		{"truncated-v2", truncated, "v2", "outside the file"},
		{"truncated-v1", truncated, "v1", "outside the file"},
		{"encrypted-v1", qcow2test.Encrypted(t, dir), "v1", "encrypted"},
		{"huge-v1", huge, "v1", "virtual size is 4611686018427387904 bytes"},
		{"huge-v2", huge, "v2", "virtual size is 4611686018427387904 bytes"},
	}
	for _, c := range cases {
		d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"download","parameters":{"url":%q},"dataEngine":%q}`,
			c.name, serveFile(t, c.path).URL, c.engine))
	}
	for _, c := range cases {
		d.expectFailed(c.name, c.reason)
	}

	// The limit is the setting backing-image-max-size-gib: an 8 MiB image
	// passes at 1 GiB, and a 2 GiB qcow2 (all holes) does not.
	d.mustCall(200, "PUT", "/v1/settings/backing-image-max-size-gib", `{"value":"1"}`)
	big := filepath.Join(dir, "big.qcow2")
	qcow2test.Run(t, dir, "create", "-q", "-f", "qcow2", big, "2G")
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"big","sourceType":"download","parameters":{"url":%q}}`, serveFile(t, big).URL))
	d.expectFailed("big", "backing-image-max-size-gib")
	d.createDownload("full", serveFile(t, full).URL)
}
