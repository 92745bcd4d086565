package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

const reserveSetting = "/v1/settings/storage-minimal-available-percentage"

// TestDiskReserveRefusesNewCopies raises the disk reserve to 100%, which
// puts every real disk under disk pressure: downloads, uploads and
// restores are refused with a 507 that says why and what to do, the node
// shows the pressure, and lowering the setting lets all three through.
func TestDiskReserveRefusesNewCopies(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "base.raw")
	writeImage(t, img, 3<<20, 3<<20, 7)
	sum := sha512File(t, img)
	srv := serveFile(t, img)
	d.createDownload("base", srv.URL)
	d.waitTarget("default", true)
	bbi := d.backupOf("base", `{"backupTargetName":"default"}`)["name"].(string)
	d.waitBackup(bbi, "Completed", time.Minute)
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"up","sourceType":"upload"}`)

	d.mustCall(200, "PUT", reserveSetting, `{"value":"100"}`)
	cond := d.diskSchedulable("default-disk")
	if cond["status"] != "False" || cond["reason"] != "DiskPressure" || !strings.Contains(fmt.Sprint(cond["message"]), "storage-minimal-available-percentage") {
		t.Fatalf("at 100%% the default disk's Schedulable condition = %v, want False/DiskPressure with the reason", cond)
	}
	code, m := d.call("POST", "/v1/backingimages", fmt.Sprintf(`{"name":"dl","sourceType":"download","parameters":{"url":%q}}`, srv.URL))
	want507(t, "download create", code, m)
	code, m = d.upload("up", 1<<16, bytes.NewReader(make([]byte, 1<<16)))
	if code != http.StatusInsufficientStorage || !strings.Contains(fmt.Sprint(m), "lower the setting") {
		t.Errorf("upload: status %d, want 507 with the reason: %v", code, m)
	}
	code, m = d.call("POST", "/v1/backupbackingimages/"+bbi+"?action=backupBackingImageRestore", `{"name":"restored"}`)
	want507(t, "restore", code, m)
	if code, _ := d.call("GET", "/v1/backingimages/dl", ""); code != 404 {
		t.Errorf("a refused download left an image behind (GET answered %d)", code)
	}

	d.mustCall(200, "PUT", reserveSetting, `{"value":"0"}`)
	if cond := d.diskSchedulable("default-disk"); cond["status"] != "True" {
		t.Fatalf("at 0%% the default disk is still not schedulable: %v", cond)
	}
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"dl","sourceType":"download","parameters":{"url":%q}}`, srv.URL))
	data, _ := os.ReadFile(img)
	if code, m := d.upload("up", int64(len(data)), bytes.NewReader(data)); code != 200 {
		t.Fatalf("upload after lowering the setting: %d %v", code, m)
	}
	d.restoreAndCheck(bbi, "restored", "v1", sum)
	for _, name := range []string{"dl", "up"} {
		if bi := d.waitImage(name, time.Minute, allCopies("ready")); bi["currentChecksum"] != sum {
			t.Errorf("%s: checksum %v, want %s", name, bi["currentChecksum"], sum)
		}
	}
}

// want507 checks a refusal for lack of space: 507, the error envelope's
// code, and a message naming the disk, its reserve and what to do.
func want507(t *testing.T, what string, code int, m map[string]any) {
	t.Helper()
	msg := fmt.Sprint(m["message"])
	if code != http.StatusInsufficientStorage || m["code"] != "Insufficient Storage" {
		t.Errorf("%s: status %d (%v), want 507 Insufficient Storage: %v", what, code, m["code"], m)
		return
	}
	for _, s := range []string{"disk default-disk", "available", "reserve", "storage-minimal-available-percentage",
		"free space on the disk", "add a disk", "lower the setting"} {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: 507 message %q lacks %q", what, msg, s)
		}
	}
}

// diskSchedulable returns a disk's Schedulable condition from GET /v1/nodes.
func (d *daemon) diskSchedulable(name string) map[string]any {
	d.t.Helper()
	list := d.mustCall(200, "GET", "/v1/nodes", "")
	nodes, _ := list["data"].([]any)
	if len(nodes) != 1 {
		d.t.Fatalf("GET /v1/nodes: %v", list)
	}
	disk, _ := nodes[0].(map[string]any)["disks"].(map[string]any)[name].(map[string]any)
	cond, _ := disk["conditions"].(map[string]any)["Schedulable"].(map[string]any)
	if cond == nil {
		d.t.Fatalf("disk %s has no Schedulable condition: %v", name, disk)
	}
	return cond
}

// smallFS mounts a tmpfs of size bytes on a new folder, a real filesystem
// that fills up, and unmounts it when the test ends. Like the loop-device
// tests it needs root, and fails the test saying so otherwise.
func smallFS(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s failed (%v: %s): the full-disk tests need root to mount a small filesystem", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes zeros to a new file in dir until the filesystem is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}

// TestDownloadThatFillsADiskFailsAndTheDaemonStaysUp downloads an image
// larger than a real 16 MiB disk: the copy fails with the reason, the
// daemon keeps serving, and once the disk is full it is under pressure and
// further downloads to it are refused with 507.
func TestDownloadThatFillsADiskFailsAndTheDaemonStaysUp(t *testing.T) {
	small := smallFS(t, 16<<20)
	d := startDaemon(t, "")
	def := d.diskStatus("default-disk")
	body, _ := json.Marshal(map[string]any{"disks": map[string]any{
		"default-disk": map[string]any{"path": def["path"], "diskType": "filesystem", "allowScheduling": true},
		"small":        map[string]any{"path": small, "diskType": "filesystem", "allowScheduling": true, "tags": []string{"small"}},
	}})
	d.mustCall(200, "POST", "/v1/nodes/node-1?action=diskUpdate", string(body))
	img := filepath.Join(t.TempDir(), "big.raw")
	writeImage(t, img, 40<<20, 40<<20, 9) // random data: it really takes 40 MiB
	srv := serveFile(t, img)
	create := fmt.Sprintf(`{"name":"big","sourceType":"download","diskSelector":["small"],"parameters":{"url":%q}}`, srv.URL)
	d.mustCall(200, "POST", "/v1/backingimages", create)
	d.waitFor(t, "big", "the copy on the small disk reports the full disk", func(bi map[string]any) bool {
		cs := copies(bi)
		return len(cs) == 1 && strings.Contains(fmt.Sprint(cs[0]["message"]), "no space left on device")
	})
	d.mustCall(200, "GET", "/healthz", "")
	d.deleteImage("big")

	fill(t, small)
	testenv.Eventually(t, 20*time.Second, "the full small disk is under pressure", func() (bool, string) {
		c := d.diskSchedulable("small")
		return c["reason"] == "DiskPressure", fmt.Sprint(c)
	})
	code, m := d.call("POST", "/v1/backingimages", strings.Replace(create, `"big"`, `"big2"`, 1))
	if code != http.StatusInsufficientStorage || !strings.Contains(fmt.Sprint(m["message"]), "disk small ("+small+")") {
		t.Fatalf("download to the full disk: %d %v, want 507 naming disk small", code, m)
	}
	d.stop()
	if log := d.log.String(); !strings.Contains(log, "no space left on device") {
		t.Fatalf("the daemon's log does not say the disk was full:\n%s", log)
	}
}

// TestRestartOnAFullDiskSaysWhy restarts the daemon after its data
// directory's filesystem filled up, and starts one on a full filesystem.
// Neither is silent: a restart either exits non-zero with an ERROR line
// giving the reason or (when etcd needs no new space to open) serves with
// the disk under pressure, refusing new copies with 507; a first start,
// which must create etcd's files, exits with the reason.
func TestRestartOnAFullDiskSaysWhy(t *testing.T) {
	dir := smallFS(t, 100<<20) // the store preallocates a 64 MB log
	d := startDaemon(t, filepath.Join(dir, "data"))
	d.mustCall(200, "PUT", reserveSetting, `{"value":"10"}`)
	d.stop()
	fill(t, dir)
	restartOnFullDisk(t, d)

	empty := smallFS(t, 1<<20)
	fill(t, empty)
	wantFailure(t, "first start on a full disk", filepath.Join(empty, "data"), freeAddr(t), "no space left on device")
}

// TestStartFailureIsLoggedAsError: whatever stops the daemon, its log has
// an ERROR line with the reason (not only the exit status): here the
// listen address is taken.
func TestStartFailureIsLoggedAsError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := wantFailure(t, "start on a taken address", t.TempDir(), l.Addr().String(), "listen on "+l.Addr().String())
	if !strings.Contains(out, `level=ERROR msg="plinth stopped"`) {
		t.Fatalf("no ERROR line for the failed start; log:\n%s", out)
	}
}

// wantFailure runs plinth server on dataDir and addr (and extra flags), expects it to exit
// non-zero within 60 s with an ERROR line and reason in its log, and
// returns the log.
func wantFailure(t *testing.T, what, dataDir, addr, reason string, extra ...string) string {
	t.Helper()
	var log bytes.Buffer
	args := append([]string{"server", "--data-dir", dataDir, "--listen", addr, "--node-id", "node-1"}, extra...)
	cmd := exec.Command(plinthBin, args...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("%s: plinth exited 0; log:\n%s", what, log.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Fatalf("%s: plinth neither served nor exited within 60 s; log:\n%s", what, log.String())
	}
	out := log.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, reason) {
		t.Fatalf("%s: plinth exited without an ERROR line giving the reason (%q); log:\n%s", what, reason, out)
	}
	return out
}

// restartOnFullDisk starts d again on its full disk and checks that it is
// loud and safe whichever way it goes: an exit with an ERROR line naming
// the full disk, or a daemon that serves, reports DiskPressure on its disk
// and refuses a new download with 507.
func restartOnFullDisk(t *testing.T, d *daemon) {
	t.Helper()
	var log bytes.Buffer
	cmd := exec.Command(plinthBin, "server", "--data-dir", d.dataDir, "--listen", d.addr, "--node-id", "node-1",
		"--insecure-allow-private-sources")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() { // before the filesystem's unmount, which needs the process gone
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	})
	served := false
	testenv.Eventually(t, 60*time.Second, "the restarted daemon to exit or serve", func() (bool, string) {
		select {
		case <-done:
			return true, ""
		default:
		}
		if resp, err := http.Get(d.URL + "/healthz"); err == nil {
			resp.Body.Close()
			served = true
			return true, ""
		}
		return false, "neither yet"
	})
	if !served {
		<-done
		err := waitErr
		out := log.String()
		if err == nil || !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "no space left on device") {
			t.Fatalf("restart on a full disk: exit %v without an ERROR line naming the full disk; log:\n%s", err, out)
		}
		return
	}
	testenv.Eventually(t, 30*time.Second, "the full default disk to be under pressure", func() (bool, string) {
		c := d.diskSchedulable("default-disk")
		return c["reason"] == "DiskPressure", fmt.Sprint(c)
	})
	code, m := d.call("POST", "/v1/backingimages", `{"name":"after-full","sourceType":"download","parameters":{"url":"http://127.0.0.1:1/x.raw"}}`)
	if code != http.StatusInsufficientStorage {
		t.Fatalf("download on a full disk after restart: %d %v, want 507", code, m)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
}
