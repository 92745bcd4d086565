package uitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFailedBackupIsReplacedOrRetried: a backup that ended in Error must
// not block. The Back Up dialog offers its target, says the failed backup
// will be replaced, and backing up again replaces it; the target with a
// Completed backup is not offered and says why. On the Backups page, Retry
// runs a failed backup again and it completes once the target works.
func TestFailedBackupIsReplacedOrRetried(t *testing.T) {
	p := startPlinth(t)
	src := startSources(t)
	b := newBrowser(t, p.URL)
	// One attempt: a broken target ends a backup in Error at once.
	p.must(http.MethodPut, "/v1/settings/backup-retry-max-attempts", map[string]string{"value": "1"})
	dir := filepath.Join(t.TempDir(), "files")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.addTarget("files", "file://"+dir, "")
	for i, img := range []string{"fb", "fb-retry"} {
		p.must(http.MethodPost, "/v1/backingimages", map[string]any{"name": img, "sourceType": "download",
			"parameters": map[string]string{"url": src.image(uint64(30+i), 3<<20)}})
		p.waitImageReady(img, 60*time.Second)
	}
	done := backupAPI(p, "fb", "default")
	waitBackupState(p, done, "Completed", 60*time.Second)
	failed := failFileBackup(p, dir, "fb")

	b.open("#/images")
	waitRowText(b, "fb", "Ready", 10*time.Second)
	checkBulkMarks(t, b, failed)
	b.click(`main tr[data-key="fb"] [data-f=menu]`)
	b.clickText(".menu", "Back Up")
	b.wait("backup dialog", `document.querySelector('dialog select[name=target]') !== null`, 10*time.Second)
	files := optionOf(b, "files")
	if files.Disabled || !strings.Contains(files.Text, "replaces failed backup "+failed) {
		t.Fatalf("target files, whose backup %s failed, is offered as %+v; want enabled, naming the failed backup it replaces", failed, files)
	}
	def := optionOf(b, "default")
	if !def.Disabled || !strings.Contains(def.Text, "already backed up as "+done+" (Completed)") {
		t.Fatalf("target default, with Completed backup %s, is offered as %+v; want disabled saying why", done, def)
	}
	if v := eval[string](b, `document.querySelector('dialog select[name=target]').value`); v != "files" {
		t.Fatalf("preselected target %q, want files (default already has a Completed backup)", v)
	}
	if note := b.text("dialog [data-replace]"); !strings.Contains(note, failed) {
		t.Fatalf("the dialog does not say the failed backup %s will be replaced: %q", failed, note)
	}
	b.shot("backup-dialog-replace-failed")
	res := backupViaDialog(b, "files")
	if len(res) != 1 || !res[0].OK || res[0].Backup == "" || res[0].Backup == failed ||
		!strings.Contains(res[0].Text, "replaces failed backup "+failed) {
		t.Fatalf("backing up fb to files again: results %+v, want a new backup replacing %s", res, failed)
	}
	waitResultCompleted(b, res[0].Backup)
	if code, m := p.call(http.MethodGet, "/v1/backupbackingimages/"+failed, nil); code != http.StatusNotFound {
		t.Fatalf("the replaced failed backup %s still exists: %d %v", failed, code, m)
	}
	b.click("dialog footer [data-close]")
	b.open("#/backups")
	waitRowText(b, res[0].Backup, "Completed", 10*time.Second)
	b.wait("the failed backup gone from the Backups page", rowSel(failed)+` === null`, 10*time.Second)

	retryFlow(t, p, b, dir, "fb-retry")
}

// checkBulkMarks opens the bulk Backup dialog for fb and fb-retry: fb's
// backup on files failed and on default completed, so both targets are
// offered, marked with what a backup there does to each image.
func checkBulkMarks(t *testing.T, b *browser, failed string) {
	t.Helper()
	b.click("main [data-all]")
	b.click("main [data-bulk=backup]")
	b.wait("bulk backup dialog", `document.querySelector('dialog select[name=target]') !== null`, 10*time.Second)
	if o := optionOf(b, "files"); o.Disabled || !strings.Contains(o.Text, "1 failed backup to replace") {
		t.Fatalf("bulk dialog offers files as %+v; want enabled, saying 1 failed backup will be replaced", o)
	}
	if o := optionOf(b, "default"); o.Disabled || !strings.Contains(o.Text, "1 of 2 already backed up") {
		t.Fatalf("bulk dialog offers default as %+v; want enabled, saying 1 of 2 is already backed up", o)
	}
	b.choose("dialog select[name=target]", "default")
	if note := b.text("dialog [data-block]"); !strings.Contains(note, "fb — already backed up as") {
		t.Fatalf("bulk dialog on default does not say fb is already backed up there: %q", note)
	}
	b.choose("dialog select[name=target]", "files")
	if note := b.text("dialog [data-replace]"); !strings.Contains(note, "fb — failed backup "+failed) {
		t.Fatalf("bulk dialog on files does not say fb's failed backup %s is replaced: %q", failed, note)
	}
	b.click("dialog footer [data-close]")
	b.wait("bulk dialog closed", `!document.querySelector('dialog')`, 5*time.Second)
	b.click("main [data-all]")
}

// retryFlow fails a backup of img to the file target at dir, then retries
// it from the Backups page once the target works again.
func retryFlow(t *testing.T, p *plinth, b *browser, dir, img string) {
	t.Helper()
	failed := failFileBackup(p, dir, img)
	b.open("#/backups")
	waitRowText(b, failed, "Error", 15*time.Second)
	if n := eval[int](b, `document.querySelectorAll('main tbody [data-f=retry]').length`); n != 1 {
		t.Fatalf("%d Retry buttons on the Backups page, want 1 (only the backup in Error)", n)
	}
	b.shot("backups-failed")
	b.click(fmt.Sprintf(`main tr[data-key=%q] [data-f=retry]`, failed))
	b.wait("retry answered", fmt.Sprintf(`[...document.querySelectorAll('#toasts .toast')].some((e) => e.innerText.includes(%q))`,
		"Retrying backup "+failed+": it is Pending again"), 10*time.Second)
	if n := eval[int](b, `document.querySelectorAll('#toasts .toast-error').length`); n != 0 {
		t.Fatalf("Retry showed an error: %s", b.text("#toasts"))
	}
	waitRowText(b, failed, "Completed", 60*time.Second)
	if n := eval[int](b, `document.querySelectorAll('main tbody [data-f=retry]').length`); n != 0 {
		t.Fatalf("%d Retry buttons left after the retried backup completed", n)
	}
	b.shot("backups-retried")
}

// failFileBackup backs img up to target "files" (directory dir) while a
// regular file stands where the store's top directory belongs, so every
// write fails (the target itself still passes its check); it waits for
// the backup to end in Error, puts the directory back and waits until the
// target is available. It returns the failed backup.
func failFileBackup(p *plinth, dir, img string) string {
	p.t.Helper()
	top, away := filepath.Join(dir, "backupstore"), filepath.Join(dir, "backupstore.away")
	moved := os.Rename(top, away) == nil
	if err := os.WriteFile(top, []byte("not a directory"), 0o644); err != nil {
		p.t.Fatal(err)
	}
	name := backupAPI(p, img, "files")
	waitBackupState(p, name, "Error", 60*time.Second)
	if err := os.Remove(top); err != nil {
		p.t.Fatal(err)
	}
	if moved {
		if err := os.Rename(away, top); err != nil {
			p.t.Fatal(err)
		}
	}
	p.must(http.MethodPost, "/v1/backuptargets/files?action=backupTargetSync", map[string]any{})
	p.waitFor("/v1/backuptargets/files", 30*time.Second, "target files available", func(code int, m map[string]any) bool {
		return code == http.StatusOK && m["available"] == true
	})
	return name
}

// backupAPI starts a backup of img to target through the API.
func backupAPI(p *plinth, img, target string) string {
	p.t.Helper()
	m := p.must(http.MethodPost, "/v1/backingimages/"+img+"?action=backupBackingImageCreate", map[string]string{"backupTargetName": target})
	name, _ := m["name"].(string)
	if name == "" {
		p.t.Fatalf("backup of %s to %s: no name in %v", img, target, m)
	}
	return name
}

// waitBackupState waits until backup name is in state.
func waitBackupState(p *plinth, name, state string, timeout time.Duration) map[string]any {
	p.t.Helper()
	return p.waitFor("/v1/backupbackingimages/"+name, timeout, "backup "+name+" "+state, func(code int, m map[string]any) bool {
		return code == http.StatusOK && m["state"] == state
	})
}

type option struct {
	Text     string `json:"text"`
	Disabled bool   `json:"disabled"`
}

// optionOf returns the open dialog's target option for target.
func optionOf(b *browser, target string) option {
	b.t.Helper()
	return eval[option](b, fmt.Sprintf(`(() => { const o = [...document.querySelectorAll('dialog select[name=target] option')]
		.find((o) => o.value === %q); return { text: o?.textContent ?? '(no option)', disabled: !!o?.disabled }; })()`, target))
}

// TestRetryingBackupShowsItsRetryMessage: a backup whose S3 server
// answers 503 keeps retrying; the Backups page shows its retry message as
// a muted line, not as an error, the Back Up dialog does not offer its
// target and says why, and the backup completes once the server is well.
func TestRetryingBackupShowsItsRetryMessage(t *testing.T) {
	p := startPlinth(t)
	src := startSources(t)
	gw := startS3(t)
	proxy := startFlakyS3(t, gw.Endpoint)
	b := newBrowser(t, p.URL)
	p.must(http.MethodPut, "/v1/settings/backup-retry-max-interval", map[string]string{"value": "4"})
	secret := gw.Secret()
	secret["AWS_ENDPOINTS"] = proxy.URL
	p.must(http.MethodPost, "/v1/secrets", map[string]any{"name": "s3-creds", "data": secret})
	p.addTarget("s3", fmt.Sprintf("s3://%s@%s/", gw.NewBucket(t), gw.Region), "s3-creds")
	p.must(http.MethodPost, "/v1/backingimages", map[string]any{"name": "rb", "sourceType": "download",
		"parameters": map[string]string{"url": src.image(40, 3<<20)}})
	p.waitImageReady("rb", 60*time.Second)

	proxy.failing.Store(true)
	name := backupAPI(p, "rb", "s3")
	p.waitFor("/v1/backupbackingimages/"+name, 90*time.Second, "backup "+name+" retrying", func(code int, m map[string]any) bool {
		msgs, _ := m["messages"].(map[string]any)
		retry, _ := msgs["retry"].(string)
		return code == http.StatusOK && m["state"] == "InProgress" && strings.HasPrefix(retry, "retrying in ")
	})
	b.open("#/backups")
	row := rowSel(name)
	b.wait(name+" shows its retry message", fmt.Sprintf(`(%s).querySelector('.msg-retry')?.innerText.startsWith('Retrying in ')`, row), 15*time.Second)
	if got := eval[string](b, fmt.Sprintf(`(%s).querySelector('.badge').innerText`, row)); got != "In progress" {
		t.Fatalf("a retrying backup's state badge reads %q, want In progress", got)
	}
	if color := eval[string](b, fmt.Sprintf(`getComputedStyle((%s).querySelector('.msg-retry')).color`, row)); color == "rgb(180, 35, 24)" {
		t.Fatalf("the retry message is shown in the error colour %s", color)
	}
	b.shot("backups-retrying")

	b.open("#/images")
	b.click(`main tr[data-key="rb"] [data-f=menu]`)
	b.clickText(".menu", "Back Up")
	b.wait("backup dialog", `document.querySelector('dialog select[name=target]') !== null`, 10*time.Second)
	if o := optionOf(b, "s3"); !o.Disabled || !strings.Contains(o.Text, "being backed up as "+name) {
		t.Fatalf("target s3, where backup %s is retrying, is offered as %+v; want disabled saying why", name, o)
	}
	b.shot("backup-dialog-retrying")
	b.click("dialog footer [data-close]")
	b.wait("dialog closed", `!document.querySelector('dialog')`, 5*time.Second)

	proxy.failing.Store(false)
	b.open("#/backups")
	waitRowText(b, name, "Completed", 90*time.Second)
	if n := eval[int](b, fmt.Sprintf(`(%s).querySelectorAll('.msg').length`, row)); n != 0 {
		t.Fatalf("the completed backup still shows a message: %s", b.text("main tbody"))
	}
}

// flakyS3 is a reverse proxy in front of an S3 server that answers 503 to
// every PUT while failing is set: the target passes its checks (which only
// read) and every write of a backup fails transiently.
type flakyS3 struct {
	URL     string
	failing atomic.Bool
}

func startFlakyS3(t *testing.T, upstream string) *flakyS3 {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the Host header the client signed
	f := &flakyS3{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.failing.Load() && r.Method == http.MethodPut {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>outage injected by the test</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}
